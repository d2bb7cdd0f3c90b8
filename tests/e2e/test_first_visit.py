"""Journey 14: what a first visit trips on (error pages, the header, Markdown people expect)."""

import re

from playwright.sync_api import Page, expect

from app.models import USERNAME_MAX
from tests.e2e.flows import (
    NewContext,
    Person,
    assert_no_horizontal_scroll,
    new_person,
    open_user_menu,
    register,
    write_post,
)

VALIDATOR_WORDS = re.compile(r"Input should|post_id|valid integer|greater than|less than")


def test_journey14_error_pages_speak_plainly_and_offer_a_way_on(page: Page) -> None:
    for url, heading in (
        ("/posts/abc", "Page not found"),
        ("/?page=-1", "No such page"),
        ("/?page=999999", "No such page"),
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.locator("main")).not_to_contain_text(VALIDATOR_WORDS)
        ways = page.get_by_role("list", name="Where to go from here")
        expect(ways.get_by_role("link").first).to_be_visible()
        expect(page.get_by_role("search", name="Search from this page")).to_be_visible()
    page.get_by_role("link", name="Go to the first page").click()
    expect(page).to_have_url(re.compile(r"/$"))


def _header_height(new_context: NewContext, username: str, **context_args: object) -> float:
    page = new_context(**context_args).new_page()
    register(page, Person(username=username, email=f"{username}@example.com"))
    return page.locator(".site-header").bounding_box()["height"]


def test_journey14_the_header_is_one_row_for_any_username(new_context: NewContext) -> None:
    desktop = {"viewport": {"width": 1280, "height": 800}}
    short = _header_height(new_context, "bob", **desktop)
    suffix = new_person("x").username  # the server's database lives for the whole session
    longest = ("w" * USERNAME_MAX)[: USERNAME_MAX - len(suffix)] + suffix
    assert len(longest) == USERNAME_MAX
    page = new_context(**desktop).new_page()
    register(page, Person(username=longest, email=f"{longest}@example.com"))
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] == short
    name = header.locator(".me .name")
    # Cut short with an ellipsis, the whole name still there for screen readers and the tooltip.
    assert name.evaluate("el => el.scrollWidth > el.clientWidth")
    assert name.evaluate("el => getComputedStyle(el).textOverflow") == "ellipsis"
    open_user_menu(page)
    expect(header.get_by_role("link", name=longest)).to_have_attribute("href", f"/users/{longest}")
    assert_no_horizontal_scroll(page)


def test_journey14_the_phone_bar_is_compact(new_context: NewContext) -> None:
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page = new_context(**phone).new_page()
    register(page, new_person("pocket" + "p" * 16))
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= 60
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()


def test_journey14_the_header_search_keeps_the_query(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Search posts and people").first.fill("allotment beans")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=allotment"))
    expect(page.locator("#site-search")).to_have_value("allotment beans")


def test_journey14_a_post_with_a_table_a_task_list_and_a_bare_link(page: Page) -> None:
    register(page, new_person("tabler"))
    write_post(
        page,
        "Sowing table",
        "# Plan\n\n| Crop | Month |\n|---|--:|\n| beans | ~~May~~ June |\n\n"
        "- [x] dig\n- [ ] net\n\nMore at https://example.org/sowing today.",
    )
    content = page.locator(".post-content")
    expect(content.get_by_role("table")).to_be_visible()
    expect(content.get_by_role("cell", name="beans")).to_be_visible()
    expect(content.locator("s")).to_have_text("May")
    expect(content.get_by_role("img", name="done")).to_be_visible()
    link = content.get_by_role("link", name="https://example.org/sowing")
    expect(link).to_have_attribute("href", "https://example.org/sowing")
    expect(link).to_have_attribute("rel", "nofollow ugc noopener")
    # The post's own "# Plan" is a second-level heading: the page has one h1, the title.
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(content.get_by_role("heading", name="Plan", level=2)).to_be_visible()


def test_journey14_times_are_relative_in_the_visitors_zone_and_utc_without_js(
    new_context: NewContext,
) -> None:
    page = new_context(timezone_id="Asia/Tokyo").new_page()
    register(page, new_person("tokyo"))
    write_post(page, "Evening in Tokyo", "The lanterns are on.")
    when = page.locator(".post-byline time").first
    expect(when).to_have_text("just now")
    expect(when).to_have_attribute("title", re.compile(r"20\d\d.* GMT\+9$"))
    url = page.url

    plain = new_context(java_script_enabled=False).new_page()
    plain.goto(url)
    expect(plain.locator(".post-byline time").first).to_have_text(
        re.compile(r"\d{4}, \d\d:\d\d UTC$")
    )


def test_journey14_the_editor_lands_on_the_preview_and_guards_unsaved_text(page: Page) -> None:
    register(page, new_person("previewer"))
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("A table to check")
    page.get_by_label("Post", exact=True).click()
    page.get_by_label("Post", exact=True).fill("Long text\n\n" * 40 + "| a |\n|---|\n| b |")
    page.get_by_role("button", name="Preview").click()
    expect(page).to_have_url(re.compile(r"/posts#preview$"))
    preview = page.get_by_role("region", name="Preview")
    expect(preview.get_by_role("heading", name="Preview")).to_be_in_viewport()
    expect(preview.get_by_role("cell", name="b")).to_be_attached()

    # The text came back from a preview, so it is not saved: leaving asks first.
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_label("Post", exact=True).click()
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(r"/posts#preview$"))
    assert dialogs == ["beforeunload"]
    # Saving never asks.
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A table to check")
    assert dialogs == ["beforeunload"]


def test_journey14_people_lists_are_cards_with_a_follow_button(
    page: Page, new_context: NewContext
) -> None:
    writer = new_person("cardwriter")
    other = new_context().new_page()
    register(other, writer)
    other.goto("/account/profile")
    other.get_by_label("A line or two about you").fill("Writes about hedges.")
    other.get_by_role("button", name="Save bio").click()
    expect(other.get_by_role("status")).to_contain_text("Saved: your bio.")

    reader = new_person("cardreader")
    register(page, reader)
    page.goto(f"/users/{writer.username}")
    expect(page.get_by_text("Writes about hedges.")).to_be_visible()
    page.get_by_role("button", name="Follow", exact=True).click()
    other.goto(f"/users/{writer.username}/followers")
    card = other.locator(".person-card").filter(has_text=reader.username)
    expect(card.locator(".avatar")).to_have_text(reader.username[0].upper())
    card.get_by_role("button", name=f"Follow {reader.username}").click()
    expect(other).to_have_url(re.compile(rf"/users/{writer.username}/followers$"))
    expect(card.get_by_role("button", name=f"Unfollow {reader.username}")).to_be_visible()
    box = card.bounding_box()
    name_box = card.get_by_role("link", name=reader.username).bounding_box()
    assert box and name_box and name_box["x"] - box["x"] >= 16  # never touching the border
