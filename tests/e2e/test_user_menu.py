"""The header's user menu: the viewer's own pages and Log out, by mouse, keyboard or no script."""

from playwright.sync_api import Page, expect

from tests.e2e.flows import NewContext, log_out, new_person, open_user_menu, register

MENU_LINKS = {
    "Account": "/account",
    "Bookmarks": "/bookmarks",
    "Notification settings": "/account/notifications",
}


def test_journey17_the_user_menu_holds_the_viewers_pages(page: Page) -> None:
    person = new_person("menuuser")
    register(page, person)
    menu = page.locator(".site-header details.user-menu")
    # Closed, its links are neither seen nor reachable; the bar keeps New post and Notifications.
    expect(page.get_by_role("link", name="Account", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="New post")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    open_user_menu(page)
    for name, href in MENU_LINKS.items():
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    expect(menu.get_by_role("link", name=person.username)).to_have_attribute(
        "href", f"/users/{person.username}"
    )
    expect(menu.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    menu.get_by_role("link", name="Bookmarks", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bookmarks")


def test_journey17_escape_closes_the_menu_and_focus_returns(page: Page) -> None:
    register(page, new_person("menukeys"))
    summary = page.locator(".site-header details.user-menu > summary")
    summary.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Your profile")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    expect(summary).to_be_focused()
    # A click elsewhere closes it too.
    open_user_menu(page)
    page.get_by_role("heading", level=1).click()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()


def test_journey17_the_menu_works_without_javascript(new_context: NewContext) -> None:
    page = new_context(java_script_enabled=False).new_page()
    register(page, new_person("menunojs"))
    log_out(page)
