"""Journey: sign up, confirm the address from the mail, forget the password, reset it by mail,
and find the old session logged out. Mail goes through a real SMTP server on this machine."""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import SmtpServer, link_in
from tests.e2e.flows import Person, log_in, new_person, open_user_menu, register
from tests.e2e.harness import Site, run_site

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_site(smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none"}
    with run_site(Path(tmp_path_factory.mktemp("mail")), **env) as site:
        yield site


def wait_for_link(smtp: SmtpServer, to: str, path: str, site: Site) -> str:
    """The link to `path` in the newest mail to `to`, once the server's worker has sent it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for message in reversed(smtp.messages):
            if message["To"] == to and path in message.get_body(("plain",)).get_content():
                base, found = link_in(message, path)
                assert base == site.url  # SITE_URL: the address the server listens on
                return base + found
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} with a link to {path}")


@pytest.fixture
def contexts(browser: Browser, mail_site: Site) -> Iterator[list[BrowserContext]]:
    """Two browsers of one person on the mail-sending site (its own server, not the session's)."""
    made = [browser.new_context(base_url=mail_site.url) for _ in range(2)]
    for context in made:
        context.set_default_timeout(10_000)
    yield made
    for context in made:
        context.close()


def test_journey_recover_an_account(
    contexts: list[BrowserContext], mail_site: Site, smtp: SmtpServer
) -> None:
    person = new_person("recoverer")
    old = contexts[0].new_page()
    register(old, person)
    expect(old.get_by_text("Please confirm your email address")).to_be_visible()

    # The confirmation link opens a page; only its button confirms.
    old.goto(wait_for_link(smtp, person.email, "/email/verify/", mail_site))
    expect(old).to_have_url(re.compile(r"/email/verify$"))
    old.get_by_role("button", name=f"Confirm {person.email}").click()
    expect(old.get_by_role("status")).to_contain_text(f"{person.email} is confirmed")
    expect(old.get_by_text("Please confirm your email address")).to_have_count(0)

    # Somewhere else, the password is forgotten.
    page: Page = contexts[1].new_page()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(person.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If an account uses that address")).to_be_visible()
    page.goto(wait_for_link(smtp, person.email, "/password/reset/", mail_site))
    expect(page).to_have_url(re.compile(r"/password/reset$"))  # the token left the URL
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Show password").click()
    expect(page.get_by_label("New password")).to_have_attribute("type", "text")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    open_user_menu(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # The session from before the reset is over.
    old.reload()
    expect(old.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    old.goto("/login")
    log_in(old, Person(person.username, person.email, NEW_PASSWORD))
