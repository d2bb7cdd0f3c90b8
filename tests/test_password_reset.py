"""Password reset by mail: the flow, every token rule, throttling, and no Host-header links."""

import logging
from datetime import timedelta

import pytest

from app.services import accounts, admin
from tests.conftest import PASSWORD, get_user

NEW = "a brand new passphrase"
SENT = "If an account uses that address"


def forgot(browser, email="alice@example.com", **kwargs):  # type: ignore[no-untyped-def]
    return browser.submit("/password/forgot", {"email": email}, page="/password/forgot", **kwargs)


def open_link(browser, path):  # type: ignore[no-untyped-def]
    """Follow a mailed link as a browser does: it lands on a token-free URL."""
    first = browser.get(path)
    assert first.status_code == 303 and first.headers["location"] == "/password/reset"
    return browser.get("/password/reset")


def reset(browser, password=NEW):  # type: ignore[no-untyped-def]
    return browser.submit("/password/reset", {"password": password}, page="/password/forgot")


def test_the_login_page_links_to_the_reset(browser):
    page = browser.get("/login").text
    assert 'href="/password/forgot"' in page and "Forgot your password?" in page


def test_a_reset_by_mail_changes_the_password_and_ends_every_other_session(
    alice, make_browser, make_api, mailbox, db
):
    other = make_browser()
    other.login()
    api = make_api().log_in()
    stranger = make_browser()
    assert SENT in forgot(stranger).text
    link = mailbox.link("alice@example.com", "/password/reset/")
    page = open_link(stranger, link)
    assert "Choose a new password" in page.text and "alice" in page.text
    done = reset(stranger)
    assert done.status_code == 303
    assert 'action="/logout"' in stranger.get("/").text  # logged in by the reset
    for browser in (alice, other):
        assert 'action="/logout"' not in browser.get("/").text
    assert api.get("/api/users/me").status_code == 401
    assert make_browser().login(password=NEW).status_code == 303
    notice = mailbox.to("alice@example.com")[-1]
    assert notice["Subject"] == "Your password was changed"
    assert get_user(db, "alice").verified


def test_unknown_addresses_get_the_same_page_and_no_mail(browser, alice, mailbox):
    known, unknown = forgot(browser), forgot(browser, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert SENT in unknown.text
    assert [m["To"] for m in mailbox.deliver() if m["To"] != "alice@example.com"] == []
    assert mailbox.to("nobody@example.com") == []


def test_links_use_site_url_never_the_host_header(alice, make_browser, mailbox, settings):
    evil = make_browser(base_url="http://evil.example")
    assert SENT in forgot(evil).text
    (message,) = [m for m in mailbox.deliver() if m["Subject"] == "Reset your password"]
    body = message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
    assert "evil.example" not in body
    assert settings.base_url + "/password/reset/" in body


def test_the_token_leaves_the_url_and_the_request_log(alice, browser, mailbox, caplog):
    forgot(browser)
    link = mailbox.link("alice@example.com", "/password/reset/")
    token = link.rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO, logger="agora.request"):
        first = browser.get(link)
    assert first.headers["location"] == "/password/reset"
    assert token not in first.headers["set-cookie"]  # signed, not the token as typed
    paths = [record.path for record in caplog.records if hasattr(record, "path")]
    assert paths == ["/password/reset/[token]"]
    assert not any(token in str(record.__dict__) for record in caplog.records)


def test_opening_the_link_changes_nothing(alice, browser, mailbox, db):
    before = get_user(db, "alice").password_hash
    forgot(browser)
    open_link(browser, mailbox.link("alice@example.com", "/password/reset/"))
    assert get_user(db, "alice").password_hash == before
    assert 'action="/logout"' in alice.get("/").text


def test_a_link_works_once(alice, browser, mailbox):
    forgot(browser)
    link = mailbox.link("alice@example.com", "/password/reset/")
    open_link(browser, link)
    assert reset(browser).status_code == 303
    again = open_link(browser, link)
    assert again.status_code == 404 and "invalid or has expired" in again.text


def test_a_link_expires(alice, browser, make_browser, mailbox, monkeypatch, settings):
    forgot(browser)
    link = mailbox.link("alice@example.com", "/password/reset/")
    later = accounts.utcnow() + timedelta(minutes=settings.reset_token_minutes, seconds=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert open_link(browser, link).status_code == 404
    assert reset(browser).status_code == 404
    assert make_browser().login().status_code == 303  # the old password still works


def test_a_wrong_token_opens_nothing(alice, browser):
    page = open_link(browser, "/password/reset/not-a-real-token")
    assert page.status_code == 404 and "invalid" in page.text
    assert reset(browser).status_code == 404
    # A cookie forged with another key is no better.
    browser.client.cookies.set("agora_reset", "eyJhIjoxfQ.forged.sig")
    assert browser.get("/password/reset").status_code == 404


def test_a_password_change_kills_outstanding_links(alice, browser, mailbox):
    forgot(browser)
    link = mailbox.link("alice@example.com", "/password/reset/")
    changed = alice.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW},
        page="/account",
    )
    assert changed.status_code == 303
    assert open_link(browser, link).status_code == 404


def test_an_address_change_kills_outstanding_links(alice, browser, mailbox, db):
    forgot(browser)
    link = mailbox.link("alice@example.com", "/password/reset/")
    user = get_user(db, "alice")
    user.email = "alice2@example.com"
    db.add(user)
    db.commit()
    assert open_link(browser, link).status_code == 404


def test_the_new_password_follows_the_registration_rules(alice, browser, mailbox):
    forgot(browser)
    open_link(browser, mailbox.link("alice@example.com", "/password/reset/"))
    weak = reset(browser, "password123")
    assert weak.status_code == 422 and "too common" in weak.text.lower()
    assert reset(browser).status_code == 303  # the link survived the refusal


def test_a_suspended_account_is_not_let_in_by_a_reset(alice, browser, mailbox, db):
    forgot(browser)
    link = mailbox.link("alice@example.com", "/password/reset/")
    admin.suspend(session=db, actor=None, user=get_user(db, "alice"), days=7, reason="Spam")
    assert open_link(browser, link).status_code == 404
    assert reset(browser).status_code == 404
    before = len(mailbox.deliver())
    forgot(browser)
    assert len(mailbox.deliver()) == before == 0  # and it gets no new link


def test_requests_are_throttled_per_address(alice, make_browser, settings):
    limit = settings.login_max_failures_account
    for n in range(limit):
        assert forgot(make_browser()).status_code == 200, n
    refused = forgot(make_browser())
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Too many password reset requests" in refused.text
    # The same answer for an address with no account: the lock tells nothing.
    for _ in range(limit):
        forgot(make_browser(), "ghost@example.com")
    assert forgot(make_browser(), "ghost@example.com").status_code == 429
    assert make_browser().login().status_code == 303  # logging in is another counter


def test_requests_are_throttled_per_ip(browser, settings):
    for n in range(settings.login_max_failures_ip):
        assert forgot(browser, f"u{n}@example.com").status_code == 200
    assert forgot(browser, "one-more@example.com").status_code == 429


@pytest.mark.parametrize("path", ["/password/forgot", "/password/reset"])
def test_reset_forms_need_the_csrf_token(browser, path):
    assert browser.client.post(path, data={"email": "a@b.c", "password": NEW}).status_code == 403
