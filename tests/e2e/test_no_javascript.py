"""Journey 10: with JavaScript off everything still works; scripts are files from static/."""

import re

from playwright.sync_api import Page, Response, expect

from tests.e2e.flows import NewContext, log_out, new_person, register, vote_button, write_post


def assert_scripts_are_static_files(page: Page, response: Response | None = None) -> None:
    for script in page.locator("script").all():
        src = script.get_attribute("src") or ""
        assert src.startswith("/static/"), f"inline or foreign script on {page.url}: {src!r}"
    if response is not None:
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp


def test_journey10_everything_works_without_javascript(new_context: NewContext) -> None:
    page: Page = new_context(java_script_enabled=False).new_page()
    assert_scripts_are_static_files(page, page.goto("/"))
    # The context really runs no page script: a marker set by a script never appears.
    page.goto("about:blank")
    page.set_content("<p id=p></p><script>document.getElementById('p').textContent='ran'</script>")
    expect(page.locator("#p")).to_have_text("")
    page.goto("/")

    person = new_person("nojs")
    register(page, person)
    assert_scripts_are_static_files(page)
    post_id = write_post(page, "Written with scripts off", "Plain HTML forms, posted normally.")
    assert_scripts_are_static_files(page)

    # Nobody votes for their own post: a second reader, scripts off too, votes.
    reader_page: Page = new_context(java_script_enabled=False).new_page()
    register(reader_page, new_person("nojsreader"))
    reader_page.goto(f"/posts/{post_id}")
    vote_button(reader_page).click()
    expect(vote_button(reader_page)).to_have_accessible_name("Withdraw your vote (1 vote)")
    page.reload()
    expect(page.get_by_role("img", name=re.compile(r"^1 vote"))).to_be_visible()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved yet")
    page.get_by_label("Title").fill("Edited with scripts off")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edited with scripts off")

    page.get_by_role("link", name="Delete", exact=True).click()
    assert_scripts_are_static_files(page)
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_role("status")).to_contain_text("Your post is deleted")
    expect(page).to_have_url(re.compile(r"/$"))
    response = page.goto(f"/posts/{post_id}")
    assert response is not None and response.status == 404
    page.goto("/")
    log_out(page)
