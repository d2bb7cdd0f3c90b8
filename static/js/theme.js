// Runs in <head>, before the page paints: a theme the visitor chose (light or dark) applies at
// once, so the page never flashes the other one. Without a choice the system setting rules
// (agora.css). The switch itself is wired in agora.js.
"use strict";
try {
  const chosen = localStorage.getItem("agora-theme");
  if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
} catch {
  // Storage refused (private mode, blocked cookies): the system setting it is.
}
