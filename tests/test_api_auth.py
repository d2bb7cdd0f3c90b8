"""Bearer tokens for the JSON API: getting, using, forging, expiring and revoking them."""

import base64
import json
import warnings
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning
from sqlmodel import select

from app.auth import SESSION_COOKIE
from app.models import AuthSession, Post
from app.services import admin, sessions
from tests.conftest import PASSWORD, get_user


def claims_of(token: str) -> dict:  # type: ignore[type-arg]
    return jwt.decode(token, options={"verify_signature": False})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_token_by_username_or_email_then_me(api):
    assert api.signup("alice").status_code == 201
    for login in ("alice", "ALICE", "alice@example.com", "Alice@Example.com"):
        response = api.get_token(login)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600
        assert claims_of(body["access_token"])["typ"] == "api"
        assert "no-store" in response.headers["cache-control"]
    api.log_in("alice")
    me = api.get("/api/users/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_each_token_is_a_new_session(alice_api, db):
    first, second = alice_api.get_token().json(), alice_api.get_token().json()
    assert claims_of(first["access_token"])["jti"] != claims_of(second["access_token"])["jti"]
    user = get_user(db, "alice")
    kinds = [row.kind for row in sessions.list_for_user(session=db, user_id=user.id)]
    assert kinds == ["api"] * 3


@pytest.mark.parametrize(
    "form",
    [
        {"username": "alice"},
        {"password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": "alice", "password": PASSWORD, "grant_type": "client_credentials"},
        {"username": "a" * 301, "password": PASSWORD},
    ],
)
def test_token_form_is_validated(api, form):
    api.signup("alice")
    response = api.client.post("/api/token", data=form)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert PASSWORD not in response.text  # the input is never echoed back


def test_token_with_a_malformed_body_is_400_json(api):
    response = api.client.post(
        "/api/token",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert "detail" in response.json()


def test_sec19_wrong_password_and_unknown_login_look_the_same(api, monkeypatch):
    import app.services.users as users_service

    checks = []
    real_verify = users_service.verify_password

    def counting_verify(password: str, password_hash: str, rounds: int) -> bool:
        checks.append(password_hash)
        return real_verify(password, password_hash, rounds)

    monkeypatch.setattr(users_service, "verify_password", counting_verify)
    api.signup("alice")
    wrong = api.get_token("alice", "not the password")
    unknown = api.get_token("nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Incorrect login or password."}
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"
    assert len(checks) == 2  # one bcrypt check each: the unknown login checks the dummy hash
    assert checks[0] != checks[1]


def test_sec20_token_endpoint_shares_the_login_throttle(api, browser, settings):
    api.signup("alice")
    for _ in range(settings.login_max_failures_account):
        assert api.get_token("alice@example.com", "wrong password").status_code == 401
    locked = api.get_token("alice@example.com", PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "Too many failed logins" in locked.json()["detail"]
    # The same counters guard the login page.
    page = browser.login("alice@example.com", PASSWORD)
    assert page.status_code == 429
    assert "text/html" in page.headers["content-type"]


def test_sec14_page_cookie_means_nothing_under_api(alice, db):
    """alice is logged in to the site with a cookie, and only the cookie."""
    assert alice.cookies.get(SESSION_COOKIE)
    response = alice.client.post("/api/posts", json={"title": "Hi", "content": "via cookie"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/json"
    assert db.exec(select(Post)).all() == []
    assert alice.client.get("/api/users/me").status_code == 401


def test_sec14_cookie_token_used_as_bearer_is_refused(alice, db):
    cookie_token = alice.cookies.get(SESSION_COOKIE)
    assert claims_of(cookie_token)["typ"] == "web"
    alice.client.cookies.clear()
    response = alice.client.post(
        "/api/posts",
        json={"title": "Hi", "content": "cookie as bearer"},
        headers={"Authorization": f"Bearer {cookie_token}"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert db.exec(select(Post)).all() == []


def test_sec14_api_token_used_as_page_cookie_is_anonymous(alice_api, browser):
    browser.client.cookies.set(SESSION_COOKIE, alice_api.token)
    response = browser.get("/posts/new")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_api_needs_no_csrf_token_and_ignores_origin_of_bearer_calls(alice_api):
    response = alice_api.post(
        "/api/posts",
        json={"title": "From a script", "content": "No form, no cookie."},
        headers={"Origin": "https://tool.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic YWxpY2U6cHc=", "Token abc"])
def test_missing_or_non_bearer_authorization_is_401(api, header):
    response = api.get("/api/users/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def _resigned(token: str, key: str, algorithm: str = "HS256", **changes: object) -> str:
    with warnings.catch_warnings():
        # A forger does not care that our key is short for HS512.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode({**claims_of(token), **changes}, key, algorithm=algorithm)


def test_a_resigned_token_with_the_right_key_still_works(alice_api, settings):
    """The control for the forgeries below: re-signing alone is not what gets them refused."""
    token = _resigned(alice_api.token, settings.signing_key)
    response = alice_api.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_sec26_alg_none_is_refused(alice_api):
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = alice_api.token.split(".")[1]
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        response = alice_api.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_sec26_hs512_with_the_right_key_is_refused(alice_api, settings):
    token = _resigned(alice_api.token, settings.signing_key, algorithm="HS512")
    response = alice_api.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_sec27_tampered_payload_is_refused(alice_api, bob_api):
    header, payload, signature = alice_api.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    bob_id = bob_api.get("/api/users/me").json()["id"]
    forged = b64(json.dumps({**claims, "sub": str(bob_id)}).encode())
    response = alice_api.get(
        "/api/users/me", headers={"Authorization": f"Bearer {header}.{forged}.{signature}"}
    )
    assert response.status_code == 401
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    response = alice_api.get(
        "/api/users/me", headers={"Authorization": f"Bearer {header}.{flipped}.{signature}"}
    )
    assert response.status_code == 401


def test_sec27_token_signed_with_another_key_is_refused(alice_api):
    token = _resigned(alice_api.token, "another-key-" + "k" * 40)
    response = alice_api.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_sec04_expired_token_is_401(alice_api, settings):
    past = datetime.now(UTC) - timedelta(minutes=5)
    token = _resigned(
        alice_api.token, settings.signing_key, exp=past, iat=past - timedelta(hours=1)
    )
    response = alice_api.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_sec04_token_without_exp_is_refused(alice_api, settings):
    claims = claims_of(alice_api.token)
    del claims["exp"]
    token = jwt.encode(claims, settings.signing_key, algorithm="HS256")
    response = alice_api.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_revoking_the_token_ends_it_at_once(alice_api):
    other = alice_api.get_token().json()["access_token"]
    assert alice_api.delete("/api/token").status_code == 204
    assert alice_api.get("/api/users/me").status_code == 401
    assert alice_api.delete("/api/token").status_code == 401
    # Only that token: another one of the same user still works.
    response = alice_api.get("/api/users/me", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 200


def test_revoke_needs_a_token(api):
    response = api.delete("/api/token")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_tokens_are_revoked_with_the_users_other_sessions(alice_api, db):
    """Password change and deactivation end every session: API tokens are sessions too."""
    user = get_user(db, "alice")
    assert sessions.end_all_for_user(session=db, user_id=user.id) == 1
    assert alice_api.get("/api/users/me").status_code == 401


def test_suspended_users_token_stops_working(alice_api, db):
    user = get_user(db, "alice")
    user.is_active = False
    db.add(user)
    db.commit()
    assert alice_api.get("/api/users/me").status_code == 401
    # The wrong password learns nothing; the right one is told why, with a 403.
    wrong = alice_api.get_token(password="not-" + PASSWORD)
    assert wrong.status_code == 401 and "suspended" not in wrong.text
    right = alice_api.get_token()
    assert right.status_code == 403
    assert right.json() == {"detail": "Your account is suspended indefinitely."}
    assert "access_token" not in right.text


def test_suspension_ends_api_tokens_and_the_token_login_says_until_when(alice_api, db):
    admin.suspend(session=db, actor=None, user=get_user(db, "alice"), days=7, reason="Spam.")
    assert alice_api.get("/api/users/me").status_code == 401
    db.expire_all()
    assert db.exec(select(AuthSession).where(AuthSession.kind == "api")).all() == []
    until = get_user(db, "alice").suspended_until
    assert until is not None
    response = alice_api.get_token()
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"Your account is suspended until {until:%Y-%m-%d %H:%M} UTC: Spam."
    )


def test_api_sessions_record_when_they_were_last_used(alice_api, db):
    # The account page lists API sessions with their last use, as it does for browsers.
    jti = claims_of(alice_api.token)["jti"]
    row = db.get(AuthSession, jti)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    row.created_at = row.last_seen_at = an_hour_ago
    db.add(row)
    db.commit()
    assert alice_api.get("/api/users/me").status_code == 200
    db.expire_all()
    assert datetime.now(UTC) - db.get(AuthSession, jti).last_seen_at < timedelta(minutes=1)
