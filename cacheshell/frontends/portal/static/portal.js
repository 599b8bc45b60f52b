// The portal's only script: parts of a page marked data-refresh="URL" reload their content from
// that URL every data-every seconds (default 5), without reloading the page; and buttons marked
// data-print print the page (its print stylesheet keeps only the content).
"use strict";
const STALE = "The instance does not answer: this part is no longer up to date";
function refreshPart(part) {
  const every = Number(part.dataset.every || 5) * 1000;
  let notice = null;
  // No answer (the instance is down) or a failed one: the part says it is old, and keeps trying.
  const stale = (old) => {
    if (old && notice === null) {
      part.dataset.stale = "1";
      notice = document.createElement("p");
      notice.className = "warning stale-notice";
      notice.setAttribute("role", "alert");
      notice.textContent = STALE;
      part.before(notice);
    } else if (!old && notice !== null) {
      delete part.dataset.stale;
      notice.remove();
      notice = null;
    }
  };
  const tick = async () => {
    try {
      const answer = await fetch(part.dataset.refresh, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}});
      if (answer.redirected) {
        // Sent to the login page: the session ended. Reloading shows that page, told why, with
        // this page to come back to.
        window.location.reload();
        return;
      }
      if (!answer.ok) {
        stale(true);
      } else {
        part.innerHTML = await answer.text();
        part.dataset.refreshed = String(Date.now());
        stale(false);
      }
    } catch (error) {
      stale(true);
    }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach(refreshPart);
  document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
});
