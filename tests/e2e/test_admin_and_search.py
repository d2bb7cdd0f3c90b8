"""Journey 12: search, then an administrator's lists (filtered, sorted, empty) and a moderation."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from tests.e2e.flows import NewContext, new_person, open_user_menu, register, write_post
from tests.e2e.harness import Site


def _make_admin(site: Site, username: str) -> None:
    # The role is read from the database on every request: no new login needed.
    engine = create_engine(site.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE user SET role = 'admin' WHERE username = :u"), {"u": username})
    engine.dispose()


def test_journey12_search_and_the_admin_lists(
    page: Page, new_context: NewContext, agora_server: Site
) -> None:
    author = new_person("quincegrower")
    register(page, author)
    write_post(page, "Quince <jelly> for beginners", "Quinces need long, slow cooking.")

    page.get_by_label("Search posts and people").first.fill("quince")
    page.keyboard.press("Enter")
    card = page.get_by_role("article").filter(has_text="for beginners")
    expect(card.locator("mark").first).to_have_text("Quince")
    expect(card.get_by_role("link", name=author.username)).to_be_visible()
    # The feed's card, vote box included: on their own post the author sees the count only.
    own = card.get_by_role("img", name="0 votes (you cannot vote for your own post)")
    expect(own).to_have_text(re.compile(r"^\s*0\s*$"))

    admin = new_person("siteadmin")
    page = new_context().new_page()
    register(page, admin)
    _make_admin(agora_server, admin.username)
    page.reload()
    open_user_menu(page)
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Users").click()
    page.get_by_label("Search username or email").fill(author.username)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name=author.username, exact=True)).to_be_visible()
    page.get_by_role("link", name="Username").click()
    expect(page.get_by_role("columnheader", name=re.compile("Username"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.get_by_role("link", name=author.username).click()
    expect(page.get_by_role("heading", name=re.compile(author.username))).to_be_visible()

    page.goto("/admin/users?q=nobody-by-this-name")
    expect(page.get_by_text("No users match these filters.")).to_be_visible()

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Posts").click()
    page.get_by_role("link", name="Hide “Quince <jelly> for beginners”").click()
    page.get_by_label("Reason (the authors will read it)").fill("Off topic here")
    page.get_by_role("button", name="Yes, hide 1 post").click()
    expect(page.get_by_role("status")).to_contain_text("1 post hidden.")
    page.get_by_role("button", name="Restore “Quince <jelly> for beginners”").click()
    expect(page.get_by_role("status")).to_contain_text("The post is restored")
    page.goto("/admin/posts?q=nothing-matches-this")
    expect(page.get_by_text("No posts match these filters.")).to_be_visible()

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="hid post")).to_be_visible()
    expect(page.get_by_role("cell", name="restored post")).to_be_visible()
    page.get_by_label("By (username)").fill("nobody-by-this-name")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No entries match these filters.")).to_be_visible()
