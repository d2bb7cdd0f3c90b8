"""Sign-up that does not leak addresses (EMAIL_VERIFICATION=required), and the per-IP limit."""

import pytest
from sqlmodel import func, select

from app.models import User
from tests.conftest import PASSWORD

CHECK = "Check your email"


def count_users(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(User)).one())


@pytest.fixture
def required(alice, settings):  # type: ignore[no-untyped-def]
    """alice has an account (made before the switch); the site now needs confirmed addresses."""
    settings.email_verification = "required"
    return settings


def test_required_answers_the_same_whether_or_not_the_address_is_taken(
    required, make_browser, mailbox, db
):
    taken = make_browser().register("mallory", "alice@example.com")
    fresh = make_browser().register("carol")
    assert taken.status_code == fresh.status_code == 200
    assert CHECK in taken.text and CHECK in fresh.text
    assert "already exists" not in taken.text
    assert "set-cookie" not in taken.headers or "agora_session" not in taken.headers["set-cookie"]
    assert count_users(db) == 2  # alice and carol; nothing made for mallory
    warning = [m for m in mailbox.to("alice@example.com") if "tried to sign up" in m["Subject"]]
    assert len(warning) == 1
    assert "/password/reset/" in warning[0].get_body(("plain",)).get_content()
    (confirm,) = mailbox.to("carol@example.com")
    assert confirm["Subject"] == "Confirm your email address"


def test_required_still_says_a_username_is_taken(required, make_browser):
    page = make_browser().register("alice", "someone@example.com")
    assert page.status_code == 422 and "That username is taken." in page.text
    both = make_browser().register("alice", "alice@example.com")
    assert "That username is taken." in both.text and "already exists" not in both.text


def test_required_api_answers_202_for_both(required, api, db):
    taken = api.signup("mallory", "alice@example.com")
    fresh = api.signup("carol")
    assert taken.status_code == fresh.status_code == 202
    assert taken.json() == fresh.json()
    assert count_users(db) == 2


def test_optional_says_the_address_is_taken_and_the_api_answers_201(alice, make_browser, api):
    page = make_browser().register("mallory", "alice@example.com")
    assert page.status_code == 422 and "already exists" in page.text
    assert api.signup("carol").status_code == 201
    assert api.signup("mallory", "alice@example.com").status_code == 409


def test_the_openapi_document_shows_both_answers(api):
    operation = api.get("/openapi.json").json()["paths"]["/api/users"]["post"]
    assert {"201", "202", "409", "429"} <= set(operation["responses"])


def test_sign_ups_are_limited_per_ip(settings, make_browser, api, db):
    settings.registrations_per_ip_hour = 3
    # A form with a mistake costs nothing.
    assert make_browser().register("bad", "not-an-email").status_code == 422
    for n in range(3):
        assert make_browser().register(f"user{n}").status_code == 303
    refused = make_browser().register("user9")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Too many new accounts" in refused.text
    assert api.signup("user8").status_code == 429
    assert count_users(db) == 3
    assert make_browser().login("user0@example.com", PASSWORD).status_code == 303
