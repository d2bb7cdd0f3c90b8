"""Journey 5: a page that needs a login sends you to log in, then brings you back."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import log_in, log_out, new_person, register


def test_journey05_login_brings_you_back_to_new_post(page: Page) -> None:
    person = new_person("returner")
    register(page, person)
    log_out(page)

    page.goto("/posts/new")
    expect(page).to_have_url(re.compile(r"/login\?next=/posts/new$"))
    log_in(page, person)
    expect(page).to_have_url(re.compile(r"/posts/new$"))
    expect(page.get_by_role("heading", name="Write a post")).to_be_visible()
