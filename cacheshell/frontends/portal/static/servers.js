// License Servers: a Delete form asks first (its data-confirm text); a script file, as the
// portal's Content-Security-Policy allows no inline script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
