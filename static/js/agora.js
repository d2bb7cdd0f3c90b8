// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the first invalid field so keyboard and screen-reader users land on the problem.
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();

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

  // Tags: the browser suggests whole values from a datalist, so offer each tag after the ones
  // already typed, and the suggestion completes the last one.
  const tagInput = document.querySelector("input[data-tag-input]");
  const choices = tagInput && document.getElementById(tagInput.getAttribute("list"));
  if (choices) {
    const names = [...choices.options].map((option) => option.value);
    tagInput.addEventListener("input", () => {
      const typed = tagInput.value.split(/[\s,]+/);
      const before = typed.slice(0, -1).filter(Boolean);
      const prefix = before.length ? `${before.join(" ")} ` : "";
      choices.replaceChildren(
        ...names
          .filter((name) => !before.includes(name))
          .map((name) => new Option("", prefix + name)),
      );
    });
  }
});
