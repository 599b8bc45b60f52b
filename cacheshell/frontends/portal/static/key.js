// Activate License Key: choosing a file shows it at once, as the portal's dialog does (the Open
// button does the same where scripts are off).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const field = document.getElementById("key-file-field");
  if (field) field.addEventListener("change", () => { if (field.files.length) field.form.requestSubmit(); });
});
