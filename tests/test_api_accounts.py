"""The JSON API for the mailed links: forgot, reset, verify, resend."""

from tests.conftest import PASSWORD, get_user

NEW = "a brand new passphrase"


def token_from(mailbox, address, path):  # type: ignore[no-untyped-def]
    return mailbox.link(address, path).rsplit("/", 1)[1]


def test_forgot_always_answers_202(alice_api, api, mailbox):
    known = api.post("/api/password/forgot", json={"email": "alice@example.com"})
    unknown = api.post("/api/password/forgot", json={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert mailbox.to("ghost@example.com") == []
    assert token_from(mailbox, "alice@example.com", "/password/reset/")


def test_reset_sets_the_password_ends_tokens_and_returns_none(alice_api, api, mailbox, db):
    api.post("/api/password/forgot", json={"email": "alice@example.com"})
    token = token_from(mailbox, "alice@example.com", "/password/reset/")
    done = api.post("/api/password/reset", json={"token": token, "password": NEW})
    assert done.status_code == 204 and done.content == b""
    assert alice_api.get("/api/users/me").status_code == 401
    assert api.get_token("alice", NEW).status_code == 200
    assert api.get_token("alice", PASSWORD).status_code == 401
    again = api.post("/api/password/reset", json={"token": token, "password": NEW + "x"})
    assert again.status_code == 400 and "already used" in again.json()["detail"]


def test_reset_refuses_a_weak_password_and_a_bad_token(alice_api, api, mailbox):
    api.post("/api/password/forgot", json={"email": "alice@example.com"})
    token = token_from(mailbox, "alice@example.com", "/password/reset/")
    weak = api.post("/api/password/reset", json={"token": token, "password": "password123"})
    assert weak.status_code == 422
    bad = api.post("/api/password/reset", json={"token": "nope", "password": NEW})
    assert bad.status_code == 400


def test_verify_and_resend(alice_api, api, mailbox, db, monkeypatch):
    from datetime import timedelta

    from app.services import accounts

    token = token_from(mailbox, "alice@example.com", "/email/verify/")
    assert alice_api.post("/api/email/resend").status_code == 429  # just sent at sign-up
    later = accounts.utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert alice_api.post("/api/email/resend").status_code == 202
    assert api.post("/api/email/verify", json={"token": token}).status_code == 204
    assert get_user(db, "alice").verified
    assert api.post("/api/email/verify", json={"token": token}).status_code == 400
    assert api.post("/api/email/resend").status_code == 401


def test_the_routes_are_in_the_openapi_document(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert "202" in paths["/api/password/forgot"]["post"]["responses"]
    assert "204" in paths["/api/password/reset"]["post"]["responses"]
    assert "204" in paths["/api/email/verify"]["post"]["responses"]
    assert "202" in paths["/api/email/resend"]["post"]["responses"]
