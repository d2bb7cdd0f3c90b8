"""The account page: active sessions and changing the password."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.models import AuthSession
from app.security import decode_token, session_handle, verify_password
from app.services import sessions
from app.web.account import describe_agent
from tests.conftest import PASSWORD, get_user
from tests.sectools import claims_of, logged_in_as, session_token

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
NEW_PASSWORD = "a brand new passphrase"


def handle_of(browser) -> str:  # type: ignore[no-untyped-def]
    return session_handle(claims_of(session_token(browser))["jti"])


def session_names(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", name)).strip()
        for name in re.findall(r'<p class="session-name">(.*?)</p>', html, re.S)
    ]


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX, "Firefox on Linux"),
        (IPHONE_SAFARI, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.28.1", "python-httpx"),
        ("", "Unknown browser"),
        ("<script>alert(1)</script>", "Unknown browser"),
    ],
)
def test_describe_agent(agent, label):
    assert describe_agent(agent) == label


def test_account_page_needs_login(make_browser):
    response = make_browser().get("/account")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/account"


def test_header_links_to_the_account_page(alice, make_browser):
    assert 'href="/account"' in alice.get("/").text
    assert 'href="/account"' not in make_browser().get("/").text


def test_account_page_lists_sessions_with_this_one_first(alice, make_browser, app, db, settings):
    phone = make_browser()
    phone.client.headers["User-Agent"] = IPHONE_SAFARI
    phone.login()
    alice.client.headers["User-Agent"] = FIREFOX
    alice.submit("/login", {"email": "alice", "password": PASSWORD}, page="/")
    user = get_user(db, "alice")
    sessions.start(session=db, settings=settings, user=user, kind="api", user_agent="curl/8.5.0")

    page = alice.get("/account")
    assert page.status_code == 200
    assert "alice@example.com" in page.text
    names = session_names(page.text)
    assert names[0] == "Firefox on Linux This session"
    assert sorted(names[1:]) == ["Safari on iPhone", "curl API token"]
    assert page.text.count("End this session") == 2
    assert "Log out everywhere else" in page.text
    assert "Logged in <time" in page.text and "last seen <time" in page.text
    # Sessions are named by a handle, never by the token's jti.
    for row in db.exec(select(AuthSession)).all():
        assert row.jti not in page.text


def test_a_single_session_has_nothing_else_to_end(alice):
    page = alice.get("/account").text
    assert "End this session" not in page and "Log out everywhere else" not in page
    assert "This session" in page


def test_end_one_other_session(alice, make_browser, app):
    other = make_browser()
    other.login()
    third = make_browser()
    third.login()
    response = alice.submit("/account/sessions/end", {"session_id": handle_of(other)})
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert "That session is ended" in alice.get("/account").text
    assert logged_in_as(app, session_token(other)) is None
    assert logged_in_as(app, session_token(third)) == "alice"
    assert logged_in_as(app, session_token(alice)) == "alice"


@pytest.mark.parametrize("handle", ["", "nope", "0" * 32, "x" * 5000])
def test_end_unknown_session_is_404(alice, handle):
    response = alice.submit("/account/sessions/end", {"session_id": handle}, page="/account")
    assert response.status_code == 404 and "already ended" in response.text
    assert "Log out" in alice.get("/").text


def test_log_out_everywhere_else(alice, make_browser, app, db, settings):
    others = [make_browser() for _ in range(2)]
    for b in others:
        b.login()
    api_token, _ = sessions.start(
        session=db, settings=settings, user=get_user(db, "alice"), kind="api"
    )
    response = alice.submit("/account/sessions/end-others", page="/account")
    assert response.status_code == 303
    assert "3 sessions ended" in alice.get("/account").text
    for b in others:
        assert logged_in_as(app, session_token(b)) is None
    assert (
        sessions.resolve(engine=db.get_bind(), settings=settings, token=api_token, kind="api")
        is None
    )
    assert logged_in_as(app, session_token(alice)) == "alice"


def change(b, current: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None):  # type: ignore[no-untyped-def]
    form = {"current_password": current, "new_password": new, "confirm_password": confirm or new}
    return b.submit("/account/password", form, page="/account")


def test_change_password_shows_the_rules(alice):
    page = alice.get("/account").text
    assert "At least 8 characters" in page and "72 bytes" in page
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page


def test_change_password(alice, make_browser, db):
    response = change(alice)
    assert response.status_code == 303
    assert "Your password is changed." in alice.get("/account").text
    user = get_user(db, "alice")
    assert verify_password(NEW_PASSWORD, user.password_hash, 4)
    assert make_browser().login(password=NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong password", NEW_PASSWORD, None, "current_password", "not your current password"),
        ("", NEW_PASSWORD, None, "current_password", "not your current password"),
        (PASSWORD, "short", None, "new_password", "at least 8"),
        (PASSWORD, "password123", None, "new_password", "too common"),
        (PASSWORD, "é" * 40, None, "new_password", "72 bytes"),
        (PASSWORD, "alice@example.com", None, "new_password", "username or email"),
        (PASSWORD, NEW_PASSWORD, "a different one", "confirm_password", "differ"),
    ],
)
def test_change_password_refusals(alice, make_browser, db, current, new, confirm, field, message):
    other = make_browser()
    other.login()
    old_hash = get_user(db, "alice").password_hash
    response = change(alice, current, new, confirm)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', response.text)
    assert error and message in error.group(1)
    assert "Your password is not changed" in response.text
    for secret in {current, new, confirm} - {None, ""}:
        assert f'value="{secret}"' not in response.text  # passwords are never echoed
    assert get_user(db, "alice").password_hash == old_hash
    assert "Log out" in other.get("/").text  # nobody was logged out


def test_last_seen_is_written_once_a_minute_not_on_every_request(alice, db, settings):
    # The account page shows when each session was last used; keeping that current must not
    # turn page views into writes: one write when it is a minute old, none for the requests
    # right after it (even if they arrive before the write lands).
    jti = decode_token(session_token(alice), key=settings.signing_key, typ="web").jti
    old = datetime.now(UTC) - timedelta(minutes=5)

    def age_it() -> None:
        db.exec(update(AuthSession).where(AuthSession.jti == jti).values(last_seen_at=old))
        db.commit()

    def last_seen() -> datetime:
        db.expire_all()
        return db.get(AuthSession, jti).last_seen_at

    age_it()
    alice.get("/")
    assert last_seen() > old + timedelta(minutes=4)
    age_it()  # stale again in the database, but this process wrote it a moment ago
    alice.get("/")
    alice.get("/")
    assert last_seen() == old


def test_the_right_current_password_clears_the_failures_even_if_the_new_one_is_refused(
    alice, settings
):
    for _ in range(settings.login_max_failures_account - 1):
        assert change(alice, "a wrong guess", NEW_PASSWORD).status_code == 422
    # Right current password, unusable new one: the owner proved who they are.
    assert change(alice, PASSWORD, "short").status_code == 422
    # One more slip is then the first of a new count, not the one that locks them out.
    assert change(alice, "another slip", NEW_PASSWORD).status_code == 422
    assert change(alice, PASSWORD, NEW_PASSWORD).status_code == 303
