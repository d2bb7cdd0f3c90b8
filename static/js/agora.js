// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  relativeTimes();
  setInterval(relativeTimes, 60_000);
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

// Times: the page says "26 Nov 2026, 16:40 UTC"; here that becomes "3 hours ago", with the exact
// moment in the visitor's own time zone as the title. Days without a time (no "T") stay as they are.
const UNITS = [
  ["minute", 60, 60],
  ["hour", 3600, 24],
  ["day", 86400, 7],
  ["week", 604800, 5],
];
function relativeTimes() {
  const lang = document.documentElement.lang || "en";
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  // The exact moment the way the visitor's browser writes dates, in their time zone.
  const exact = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short",
  });
  const day = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
  for (const element of document.querySelectorAll("time[datetime*=T]")) {
    const moment = new Date(element.dateTime);
    if (Number.isNaN(moment.getTime())) continue;
    const seconds = (Date.now() - moment.getTime()) / 1000;
    let text = seconds < 45 ? "just now" : null;
    for (const [unit, size, limit] of UNITS) {
      if (text === null && Math.abs(seconds) < size * limit) {
        text = relative.format(-Math.max(1, Math.round(seconds / size)), unit);
      }
    }
    element.textContent = text ?? day.format(moment);
    element.title = exact.format(moment);
  }
}

// Leaving the editor with text that is not saved asks first. The text counts as unsaved once it
// differs from what the page was loaded with, or from the start if the page came back from a
// preview or an error (data-unsaved). Submitting the form is saving, so it never asks then.
document.addEventListener("DOMContentLoaded", () => {
  const editor = document.querySelector("form.editor");
  if (!editor) return;
  const fields = [...editor.querySelectorAll("input[type=text], textarea")];
  const loaded = fields.map((field) => field.value);
  let leaving = false;
  editor.addEventListener("submit", () => {
    leaving = true;
  });
  window.addEventListener("beforeunload", (event) => {
    const changed = fields.some((field, i) => field.value !== loaded[i]);
    const empty = fields.every((field) => !field.value.trim());
    if (leaving || empty || !(changed || editor.dataset.unsaved)) return;
    event.preventDefault();
    event.returnValue = "";
  });
});

// Voting for a post without a reload: the same form, sent by fetch. The answer gives the count and
// whether the visitor now votes. A refusal or a network error falls back to the plain submit,
// which shows the page the server decides; an answer that is a page is shown as it is.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-vote-post")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  if (button.disabled) return;
  button.disabled = true;
  let response = null;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
  } catch {
    response = null;
  }
  button.disabled = false;
  if (!response || !response.ok) {
    form.submit();
    return;
  }
  if (!(response.headers.get("content-type") || "").includes("json")) {
    window.location.assign(response.url);
    return;
  }
  const answer = await response.json();
  const label = `${answer.votes} ${answer.votes === 1 ? "vote" : "votes"}`;
  button.classList.toggle("voted", answer.voted);
  button.setAttribute("aria-pressed", String(answer.voted));
  button.setAttribute(
    "aria-label",
    `${answer.voted ? "Withdraw your vote" : "Vote for this post"} (${label})`,
  );
  button.querySelector(".vote-count").textContent = String(answer.votes);
  const status = document.querySelector(".flashes");
  if (status) {
    const note = document.createElement("p");
    note.className = "flash flash-success";
    note.textContent = answer.message;
    status.replaceChildren(note);
  }
});

// The theme switch (in the header; on phones in the footer): pressed means dark. The choice is kept in localStorage and put on
// <html data-theme> (static/js/theme.js reads it back before the next page paints); until the
// visitor chooses, the switch follows the system setting.
document.addEventListener("DOMContentLoaded", () => {
  const toggles = [...document.querySelectorAll(".theme-toggle")];
  if (!toggles.length) return;
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  const current = () => root.dataset.theme || (system.matches ? "dark" : "light");
  const show = () => {
    for (const toggle of toggles) toggle.setAttribute("aria-pressed", String(current() === "dark"));
  };
  const choose = () => {
    const next = current() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try {
      localStorage.setItem("agora-theme", next);
    } catch {
      // Not stored (private mode): the choice lasts for this page.
    }
    show();
  };
  for (const toggle of toggles) {
    toggle.hidden = false;
    toggle.addEventListener("click", choose);
  }
  show();
  system.addEventListener("change", show);
});

// The user menu is a <details>: it opens and closes without scripts. Here Escape closes it and
// gives focus back to the name, and a click or focus elsewhere on the page closes it too.
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector("details.user-menu");
  if (!menu) return;
  const summary = menu.querySelector("summary");
  menu.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !menu.open) return;
    menu.open = false;
    summary.focus();
  });
  document.addEventListener("click", (event) => {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  menu.addEventListener("focusout", (event) => {
    if (menu.open && event.relatedTarget && !menu.contains(event.relatedTarget)) menu.open = false;
  });
});
