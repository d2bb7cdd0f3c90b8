"""Journey 8: register, log in and post with the keyboard alone, always seeing where focus is."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import new_person

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {name: "", outline: false};
  const style = getComputedStyle(el);
  // What a screen reader reads: the label, else the text without its aria-hidden parts.
  const text = el.cloneNode(true);
  for (const hidden of text.querySelectorAll("[aria-hidden=true]")) hidden.remove();
  const name = el.labels && el.labels.length ? el.labels[0].textContent
    : (el.getAttribute("aria-label") || text.textContent || el.value || "");
  return {
    name: name.replace(/\\s+/g, " ").trim(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""
MAX_TABS = 25


def tab_to(page: Page, name: str) -> None:
    """Press Tab until the element called `name` has focus; every stop must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["name"]:
            assert focused["outline"], f"no visible focus on {focused['name']!r} at {page.url}"
        if focused["name"] == name or focused["name"].startswith(name + " "):
            return
    raise AssertionError(f"{name!r} is not reachable with Tab on {page.url}")


def test_journey08_keyboard_only(page: Page) -> None:
    person = new_person("keys")
    page.goto("/")

    # The first Tab reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto("/")
    tab_to(page, "Sign up")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    tab_to(page, "Username")
    page.keyboard.type(person.username)
    tab_to(page, "Email")
    page.keyboard.type(person.email)
    tab_to(page, "Password")
    page.keyboard.type(person.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to Agora, {person.username}")

    tab_to(page, f"{person.username} menu")
    page.keyboard.press("Enter")  # opens the user menu
    tab_to(page, "Log out")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("You are logged out")
    tab_to(page, "Log in")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    tab_to(page, "Email or username")
    page.keyboard.type(person.email)
    tab_to(page, "Password")
    page.keyboard.type(person.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {person.username}")

    tab_to(page, "New post")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Write a post")).to_be_visible()
    tab_to(page, "Title")
    page.keyboard.type("Typed without a mouse")
    tab_to(page, "Post")
    page.keyboard.type("Tab, type, Enter.")
    tab_to(page, "Publish now")
    tab_to(page, "Post")  # the submit button comes after the checkbox
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your post is published")
    expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Typed without a mouse")
