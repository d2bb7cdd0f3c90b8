// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before deleting when the form says so (the server's confirmation page still stands).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // Move focus to the first invalid field so keyboard and screen-reader users land on the problem.
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
});
