"""Journey (REGISTRATION=invite): a member makes an invite link on the account page, a new
person opens it, signs up, and the member sees who used it."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlmodel import Session, create_engine

from app.config import PROJECT_DIR, Settings
from app.services import users
from tests.e2e.audit import Recorder, axe_violations, vnu_errors
from tests.e2e.flows import log_in, new_person
from tests.e2e.harness import Site, run_site


@pytest.fixture(scope="module")
def invite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with run_site(Path(tmp_path_factory.mktemp("invites")), REGISTRATION="invite") as site:
        yield site


@pytest.fixture
def site_recorder(invite_site: Site) -> Recorder:
    """This site's pages, for an audit of their own (the session's audit sees its own site)."""
    return Recorder(origin=invite_site.url)


@pytest.fixture
def contexts(
    browser: Browser, invite_site: Site, site_recorder: Recorder
) -> Iterator[list[BrowserContext]]:
    """The member's browser and the invited person's (the site is its own, not the session's)."""
    made = [browser.new_context(base_url=invite_site.url) for _ in range(2)]
    for context in made:
        context.set_default_timeout(10_000)
        site_recorder.attach(context)
    yield made
    for context in made:
        context.close()


def test_journey_invite_someone(
    contexts: list[BrowserContext],
    invite_site: Site,
    browser: Browser,
    site_recorder: Recorder,
    tmp_path: Path,
) -> None:
    member, guest = new_person("inviter"), new_person("invited")
    # Nobody signs up without an invite here: the first member comes from the console.
    engine = create_engine(invite_site.database_url)
    with Session(engine) as session:
        users.register(
            session=session,
            settings=Settings(_env_file=None, bcrypt_rounds=4),  # type: ignore[call-arg]
            username=member.username,
            email=member.email,
            password=member.password,
            verified=True,
        )
    engine.dispose()

    page = contexts[0].new_page()
    page.goto("/login")
    log_in(page, member)
    page.goto("/account")
    invites = page.get_by_role("region", name="Invite someone")
    invites.get_by_role("button", name="Make an invite link").click()
    expect(page.get_by_role("status")).to_contain_text("Your invite link is ready")
    link = page.get_by_label("Your new invite link (shown only once)").input_value()
    assert re.fullmatch(rf"{re.escape(invite_site.url)}/invite/[A-Za-z0-9_-]{{40,}}", link)

    other = contexts[1].new_page()
    other.goto("/register")
    expect(other.get_by_role("alert")).to_contain_text("by invitation")
    other.goto(link)
    expect(other).to_have_url(re.compile(r"/register$"))  # the token left the address bar
    expect(other.get_by_text(f"{member.username} invited you")).to_be_visible()
    other.get_by_label("Username").fill(guest.username)
    other.get_by_label("Email").fill(guest.email)
    other.get_by_label("Password").fill(guest.password)
    other.get_by_role("button", name="Create account").click()
    expect(other.get_by_role("status")).to_contain_text(f"Welcome to Agora, {guest.username}")

    page.reload()
    used = page.get_by_role("region", name="Invite someone")
    expect(used.get_by_role("link", name=guest.username)).to_be_visible()
    expect(used.get_by_text("Not used yet")).to_have_count(0)
    # The link worked once.
    other.context.clear_cookies()
    other.goto(link)
    expect(other.get_by_role("alert")).to_contain_text("invite link does not work")

    # The pages met on the way (the invite section, the invited form, the refusals) pass axe
    # and vnu, as the session's audit asks of its own.
    pages = site_recorder.distinct_pages()
    assert any("/account" in p.url for p in pages) and any("/register" in p.url for p in pages)
    assert axe_violations(browser, pages) == {}
    css = [PROJECT_DIR / "static" / "css" / "agora.css"]
    assert vnu_errors(list(site_recorder.pages.values()), tmp_path, css=css) == []
    assert site_recorder.foreign_requests() == []
