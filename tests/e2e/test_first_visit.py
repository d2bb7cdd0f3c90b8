"""Journey 14: what a first visit trips on (error pages, the header, Markdown people expect)."""

import re

from playwright.sync_api import Page, expect

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
