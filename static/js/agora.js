// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the first invalid field so keyboard and screen-reader users land on the problem.
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();

  // A "Show password" switch beside each new-password field: people check what they typed
  // instead of typing it twice.
  for (const input of document.querySelectorAll("input[data-reveal]")) {
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "button reveal-password";
    toggle.textContent = "Show password";
    toggle.setAttribute("aria-controls", input.id);
    toggle.setAttribute("aria-pressed", "false");
    toggle.addEventListener("click", () => {
      const shown = input.type === "password";
      input.type = shown ? "text" : "password";
      toggle.setAttribute("aria-pressed", String(shown));
      toggle.textContent = shown ? "Hide password" : "Show password";
    });
    // The field and its switch share one row, so an error below stays beside the field.
    const row = document.createElement("div");
    row.className = "reveal-row";
    input.before(row);
    row.append(input, toggle);
  }

  // "Reply" opens the post's comment form under the comment, in place of the reply page.
  const main = document.querySelector("#comments .comment-form");
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element && event.target.closest("a[data-reply]");
    if (!link || !main) return;
    event.preventDefault();
    const comment = link.closest(".comment");
    const id = link.dataset.reply;
    const open = document.getElementById(`reply-${id}`);
    if (open) {
      open.querySelector("textarea").focus();
      return;
    }
    const form = main.cloneNode(true);
    form.id = `reply-${id}`;
    const parent = document.createElement("input");
    parent.type = "hidden";
    parent.name = "parent_id";
    parent.value = id;
    form.prepend(parent);
    const field = form.querySelector("textarea");
    field.id = `reply-${id}-content`;
    field.value = "";
    form.querySelector("label").htmlFor = field.id;
    form.querySelector("label").textContent = "Your reply";
    form.querySelector("button[type=submit]").textContent = "Reply";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", () => {
      form.remove();
      link.focus();
    });
    form.querySelector(".actions").append(cancel);
    comment.append(form);
    field.focus();
  });
});
