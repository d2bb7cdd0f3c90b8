"""Accounts over the JSON API: sign up, your own account, public profiles."""

import pytest
from sqlmodel import select

from app.models import User
from tests.conftest import PASSWORD, get_user

PUBLIC_FIELDS = {"id", "username", "created_at"}


def test_signup_answers_201_with_the_private_view_and_location(api, db):
    response = api.signup("Alice_1", email="Alice@Example.com")
    assert response.status_code == 201
    assert response.headers["location"] == "/api/users/Alice_1"
    body = response.json()
    assert set(body) == PUBLIC_FIELDS | {"email", "role"}
    assert body["username"] == "Alice_1"
    assert body["email"] == "alice@example.com"
    assert body["role"] == "user"
    assert "password" not in response.text and "$2b$" not in response.text
    assert get_user(db, "alice_1").email == "alice@example.com"


def test_signup_then_log_in_with_the_new_account(api):
    api.signup("alice")
    assert api.log_in("alice").get("/api/users/me").json()["email"] == "alice@example.com"


@pytest.mark.parametrize(
    ("username", "email"),
    [("ALICE", "other@example.com"), ("other", "ALICE@example.com")],
)
def test_duplicate_username_or_email_is_409(api, db, username, email):
    api.signup("alice")
    response = api.signup(username, email=email)
    assert response.status_code == 409
    assert "already" in response.json()["detail"] or "taken" in response.json()["detail"]
    assert len(db.exec(select(User)).all()) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "bad name!", "letters, digits and underscores"),
        ("email", "not-an-email", "valid email"),
        ("password", "password123", "too common"),
        ("password", "é" * 40, "72 bytes"),
        ("password", "carol_1", "at least 8"),
    ],
)
def test_signup_validation_is_422_per_field(api, db, field, value, message):
    data = {"username": "carol_1", "email": "carol@example.com", "password": PASSWORD}
    response = api.client.post("/api/users", json={**data, field: value})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"] == ["body", field] and message in e["msg"] for e in errors), errors
    assert db.exec(select(User)).all() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "carol", "email": "carol@example.com"},
        {"username": 5, "email": "carol@example.com", "password": PASSWORD},
        {"username": "c" * 31, "email": "carol@example.com", "password": PASSWORD},
        {"username": "carol", "email": "carol@example.com", "password": "x" * 73},
        [],
        "carol",
    ],
)
def test_signup_schema_violations_are_422(api, db, body):
    response = api.client.post("/api/users", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert db.exec(select(User)).all() == []


def test_sec24_signup_cannot_set_role_or_activity(api, db):
    data = {"username": "carol", "email": "carol@example.com", "password": PASSWORD}
    for extra in ({"role": "admin"}, {"is_admin": True}, {"is_active": False}, {"id": 99}):
        response = api.client.post("/api/users", json={**data, **extra})
        assert response.status_code == 422
        assert "extra" in response.text.lower()
    assert db.exec(select(User)).all() == []


def test_signup_with_a_body_that_is_not_json_is_400(api):
    response = api.client.post(
        "/api/users", content=b'{"username": "x",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}


def test_signup_with_a_huge_body_is_413_json(api, settings):
    data = {"username": "carol", "email": "carol@example.com", "password": "p" * 2_000_000}
    response = api.client.post("/api/users", json=data)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert "detail" in response.json()


def test_me_is_private_and_needs_a_token(api, alice_api):
    me = alice_api.get("/api/users/me")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"
    assert set(me.json()) == PUBLIC_FIELDS | {"email", "role"}
    anonymous = api.get("/api/users/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"


def test_public_profile_never_shows_email(api, alice_api, bob_api):
    for client in (api, alice_api, bob_api):
        response = client.get("/api/users/ALICE")
        assert response.status_code == 200
        assert set(response.json()) == PUBLIC_FIELDS
        assert response.json()["username"] == "alice"
        assert "example.com" not in response.text


def test_unknown_profile_is_404_json(api):
    response = api.get("/api/users/nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no user with that name."}


def test_overlong_username_in_path_is_422(api):
    assert api.get("/api/users/" + "a" * 31).status_code == 422
