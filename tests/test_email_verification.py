"""Confirming an address: the link, the banner and "send again", and what `required` allows."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import Comment, Post, Vote
from app.services import accounts
from tests.conftest import get_user, post_id_from

BANNER = "Please confirm your email address"


def verify(browser, mailbox, address="alice@example.com"):  # type: ignore[no-untyped-def]
    link = mailbox.link(address, "/email/verify/")
    assert browser.get(link).headers["location"] == "/email/verify"
    return browser.submit("/email/verify", page="/email/verify")


def test_signing_up_sends_a_link_that_confirms_the_address(alice, mailbox, db):
    assert BANNER in alice.get("/").text
    (message,) = mailbox.to("alice@example.com")
    assert message["Subject"] == "Confirm your email address"
    assert not get_user(db, "alice").verified
    done = verify(alice, mailbox)
    assert done.status_code == 303
    page = alice.get("/").text
    assert "alice@example.com is confirmed" in page and BANNER not in page
    assert get_user(db, "alice").verified


def test_opening_the_link_confirms_nothing_until_the_button(alice, mailbox, db):
    link = mailbox.link("alice@example.com", "/email/verify/")
    alice.get(link)
    page = alice.get("/email/verify")
    assert page.status_code == 200 and 'action="/email/verify"' in page.text
    assert not get_user(db, "alice").verified


def test_a_link_works_once_and_expires(alice, make_browser, mailbox, monkeypatch, settings):
    link = mailbox.link("alice@example.com", "/email/verify/")
    assert verify(alice, mailbox).status_code == 303
    alice.get(link)
    assert alice.get("/email/verify").status_code == 404
    later_user = make_browser()
    later_user.register("bob")
    link = mailbox.link("bob@example.com", "/email/verify/")
    later = accounts.utcnow() + timedelta(hours=settings.verify_token_hours, seconds=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    later_user.get(link)
    assert later_user.get("/email/verify").status_code == 404


def test_send_again_at_most_once_a_minute_and_five_times_a_day(alice, mailbox, monkeypatch):
    now = [accounts.utcnow()]
    monkeypatch.setattr(accounts, "utcnow", lambda: now[0])
    alice.submit("/email/resend")
    assert "ask again in" in alice.get("/").text  # the sign-up mail was just sent
    for _ in range(4):
        now[0] += timedelta(minutes=2)
        alice.submit("/email/resend")
        assert "We sent a new link to alice@example.com" in alice.get("/").text
    now[0] += timedelta(minutes=2)
    alice.submit("/email/resend")
    assert "Try again tomorrow" in alice.get("/").text
    assert len(mailbox.to("alice@example.com")) == 5


def test_optional_lets_unverified_accounts_do_everything(alice, bob, db):
    post_id = post_id_from(alice.create_post())
    assert bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}").status_code == 303
    db.expire_all()
    assert db.get(Post, post_id).published


@pytest.fixture
def required(settings):  # type: ignore[no-untyped-def]
    settings.email_verification = "required"
    return settings


def test_required_blocks_publishing_commenting_and_voting_but_not_reading_or_drafts(
    alice, bob, required, mailbox, db
):
    # A verified author's post to comment on and vote for.
    verify(bob, mailbox, "bob@example.com")
    post_id = post_id_from(bob.create_post())
    page = alice.get(f"/posts/{post_id}")
    assert page.status_code == 200 and "Until then you can read and keep drafts" in page.text
    refused = alice.create_post(title="Mine")
    assert refused.status_code == 403 and "Confirm your email address first" in refused.text
    assert alice.create_post(title="Draft", published=False).status_code == 303
    comment = alice.submit(
        f"/posts/{post_id}/comments", {"content": "Hi"}, page=f"/posts/{post_id}"
    )
    assert comment.status_code == 403
    assert alice.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}").status_code == 403
    db.expire_all()
    assert db.exec(select(Comment)).all() == [] and db.exec(select(Vote)).all() == []
    assert [p.title for p in db.exec(select(Post).where(Post.published == True))] == ["Hello"]  # noqa: E712
    verify(alice, mailbox)
    assert alice.create_post(title="Now mine").status_code == 303


def test_required_blocks_the_api_too(make_api, settings):
    api = make_api("alice")
    settings.email_verification = "required"
    refused = api.post("/api/posts", json={"title": "T", "content": "C", "published": True})
    assert refused.status_code == 403 and "Confirm your email" in refused.json()["detail"]
    draft = api.post("/api/posts", json={"title": "T", "content": "C", "published": False})
    assert draft.status_code == 201


def test_console_and_demo_accounts_count_as_verified(db, settings, monkeypatch):
    from app.services import demo

    result = demo.seed(session=db, settings=settings)
    assert all(get_user(db, login.username).verified for login in result.logins)


def test_accounts_made_before_verification_existed_count_as_verified(empty_database_url):
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text

    from app import schema

    schema.upgrade(empty_database_url, "a7c3e1f20b15")
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (username, username_key, email, password_hash, role, '
                "is_active, created_at) VALUES ('old', 'old', 'old@example.com', 'x', 'user', "
                ":yes, :now)"
            ),
            {"yes": True, "now": datetime(2026, 1, 2, tzinfo=UTC)},
        )
    schema.upgrade(empty_database_url)
    with engine.connect() as conn:
        verified = conn.execute(text('SELECT email_verified_at FROM "user"')).scalar_one()
    engine.dispose()
    assert verified is not None
