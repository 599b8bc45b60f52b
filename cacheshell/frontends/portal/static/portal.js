// The portal's only script: parts of a page marked data-refresh="URL" reload their content from
// that URL every data-every seconds (default 5), without reloading the page; and buttons marked
// data-print print the page (its print stylesheet keeps only the content).
"use strict";
function refreshPart(part) {
  const every = Number(part.dataset.every || 5) * 1000;
  const tick = async () => {
    try {
      const answer = await fetch(part.dataset.refresh, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}});
      if (answer.redirected || !answer.ok) { part.dataset.stale = "1"; return; }
      part.innerHTML = await answer.text();
      part.dataset.refreshed = String(Date.now());
      delete part.dataset.stale;
    } finally {
      setTimeout(tick, every);
    }
  };
  setTimeout(tick, every);
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach(refreshPart);
  document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
});
