"""Journey 11: no page asks another origin for anything (fonts, scripts, images, analytics)."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import new_person, register, write_post


def test_journey11_every_request_stays_on_the_site(page: Page, base_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto("/")
    page.goto("/login")
    page.goto("/register")
    page.goto("/no-such-page")
    person = new_person("homebody")
    register(page, person)
    post_id = write_post(page, "Staying local", "Everything from one origin.")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.goto(f"/posts/{post_id}/delete")
    page.goto(f"/users/{person.username}")
    expect(page.get_by_role("heading", name=person.username)).to_be_visible()

    assert any(re.search(r"/static/css/.+\.css", url) for url in requests), requests
    assert any(re.search(r"/static/js/.+\.js", url) for url in requests), requests
    foreign = [url for url in requests if not url.startswith(base_url + "/")]
    assert foreign == []
