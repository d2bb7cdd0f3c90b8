"""SECURITY.md rows 1-8, 10, 26 and 27: the session cookie, its token, and revoking it."""

import hmac
from datetime import UTC, datetime, timedelta
from unittest import mock

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.models import AuthSession, Post, User
from app.services import sessions
from tests.conftest import PASSWORD, Browser, get_user, post_id_from
from tests.sectools import (
    claims_of,
    fresh_claims,
    hmac_signed_token,
    logged_in_as,
    session_token,
    unsigned_token,
)

LONGEST_USERNAME = "u" * 30
LONGEST_EMAIL = "e" * 64 + "@" + "d" * 60 + "." + "d" * 60 + "." + "d" * 59 + ".example"


def set_cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.get_list("set-cookie")


@pytest.mark.parametrize("base_url", ["http://testserver", "https://testserver"])
def test_sec01_auth_cookie_attributes(make_browser, base_url):
    b = make_browser(base_url)
    response = b.register("alice")
    https = base_url.startswith("https")
    name = ("__Host-" if https else "") + "agora_session="
    cookie = next(c for c in set_cookies(response) if c.startswith(name))
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert not any(a.startswith("domain") for a in attributes)
    assert ("secure" in attributes) is https
    # Every other cookie the app sets follows the same rules.
    for other in set_cookies(response) + set_cookies(b.get("/")):
        lowered = other.lower()
        assert "httponly" in lowered and "samesite=lax" in lowered and "domain=" not in lowered
        assert other.startswith("__Host-") is https and ("secure" in lowered) is https


def test_sec02_every_cookie_under_4096_bytes(make_browser):
    b = make_browser()
    seen = []
    seen += set_cookies(b.get("/register"))
    seen += set_cookies(b.register(LONGEST_USERNAME, email=LONGEST_EMAIL))
    response = b.create_post("t" * 200, "c" * 20_000)
    seen += set_cookies(response)
    post_id = post_id_from(response)
    seen += set_cookies(b.submit(f"/posts/{post_id}/vote", {"next": "/" + "n" * 1999}))
    seen += set_cookies(
        b.submit("/login", {"email": LONGEST_EMAIL, "password": "x" * 72}, page="/")
    )
    seen += set_cookies(b.logout())
    seen += set_cookies(b.login(LONGEST_EMAIL, next="/" + "n" * 1999))
    seen += set_cookies(b.get("/account"))
    assert len(seen) >= 6
    for cookie in seen:
        assert len(cookie.encode()) < 4096, cookie[:80]


def test_sec03_each_login_issues_a_fresh_token(alice, make_browser, app):
    first, second = make_browser(), make_browser()
    first.login()
    second.login()
    tokens = [session_token(alice), session_token(first), session_token(second)]
    assert len(set(tokens)) == 3
    assert len({claims_of(t)["jti"] for t in tokens}) == 3

    # Logging in again in the same browser replaces its token; the one sent in is never reused.
    before = session_token(first)
    response = first.submit("/login", {"email": "alice", "password": PASSWORD}, page="/")
    assert response.status_code == 303
    after = session_token(first)
    assert after != before and claims_of(after)["jti"] != claims_of(before)["jti"]
    assert logged_in_as(app, before) is None
    assert logged_in_as(app, after) == "alice"


def test_sec04_token_lifetime_is_configurable(make_app):
    short = make_app(session_hours=2)
    with TestClient(short, follow_redirects=False) as client:
        b = Browser(client)
        b.register("alice")
        claims = claims_of(session_token(b))
    assert claims["exp"] - claims["iat"] == 2 * 3600
    assert {"sub", "jti", "exp", "iat", "typ"} <= claims.keys()


def test_sec04_expired_token_is_anonymous(alice, app, settings):
    claims = claims_of(session_token(alice))
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = jwt.encode(
        fresh_claims(claims, exp=past, iat=past - timedelta(hours=8)),
        settings.signing_key,
        algorithm="HS256",
    )
    assert logged_in_as(app, expired) is None
    with_exp = jwt.encode(fresh_claims(claims), settings.signing_key, algorithm="HS256")
    assert logged_in_as(app, with_exp) == "alice"  # the forgery method itself works


@pytest.mark.parametrize("missing", ["exp", "sub", "jti", "iat", "typ"])
def test_sec04_required_claims(alice, app, settings, missing):
    claims = fresh_claims(claims_of(session_token(alice)), **{missing: None})
    token = jwt.encode(claims, settings.signing_key, algorithm="HS256")
    assert logged_in_as(app, token) is None


def test_sec04_expired_page_visit_goes_to_login(alice, app, settings, make_browser):
    claims = claims_of(session_token(alice))
    past = datetime.now(UTC) - timedelta(seconds=5)
    expired = jwt.encode(fresh_claims(claims, exp=past), settings.signing_key, algorithm="HS256")
    b = make_browser()
    b.cookies.set("agora_session", expired)
    response = b.get("/posts/new")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/posts/new"


def test_sec05_logout_revokes_the_token_on_the_server(alice, app, db):
    copied = session_token(alice)
    jti = claims_of(copied)["jti"]
    assert alice.logout().status_code == 303
    assert db.get(AuthSession, jti) is None
    assert logged_in_as(app, copied) is None


def test_sec05_logout_needs_post_and_csrf(alice, app):
    token = session_token(alice)
    assert alice.get("/logout").status_code == 405
    assert alice.client.post("/logout").status_code == 403
    assert alice.client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert logged_in_as(app, token) == "alice"


def change_password(b, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    form = {"current_password": current, "new_password": new, "confirm_password": confirm or new}
    return b.submit("/account/password", form, page="/account")


def test_sec06_password_change_needs_the_current_password(alice, make_browser, app, db):
    other = make_browser()
    other.login()
    old_hash = get_user(db, "alice").password_hash
    response = change_password(alice, "not my password", "a brand new passphrase")
    assert response.status_code == 422
    assert "not your current password" in response.text
    assert get_user(db, "alice").password_hash == old_hash
    assert logged_in_as(app, session_token(other)) == "alice"


def test_sec06_password_change_ends_every_other_session(alice, make_browser, app, db):
    others = [make_browser() for _ in range(2)]
    for b in others:
        b.login()
    mine = session_token(alice)
    response = change_password(alice, PASSWORD, "a brand new passphrase")
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert "2 other sessions were logged out" in alice.get("/account").text
    for b in others:
        assert logged_in_as(app, session_token(b)) is None
        assert "Log in" in b.get("/").text
    assert logged_in_as(app, mine) == "alice"  # this browser stays logged in
    assert make_browser().login(password=PASSWORD).status_code == 400
    assert make_browser().login(password="a brand new passphrase").status_code == 303


def test_sec07_suspended_user_is_logged_out_at_once(alice, app, db):
    token = session_token(alice)
    user = get_user(db, "alice")
    user.is_active = False
    db.add(user)
    db.commit()
    assert logged_in_as(app, token) is None
    assert "Log in" in alice.get("/").text
    response = alice.login()  # the right password: told why, and still not let in
    assert response.status_code == 403
    assert "Your account is suspended indefinitely." in response.text


def test_sec07_deleted_user_is_logged_out_at_once(alice, app, db):
    token = session_token(alice)
    db.delete(get_user(db, "alice"))
    db.commit()
    assert db.exec(select(AuthSession)).all() == []  # the rows go with the user
    assert logged_in_as(app, token) is None
    assert alice.get("/").status_code == 200


def test_sec08_authenticated_pages_are_not_stored(alice):
    post_id = post_id_from(alice.create_post())
    for page in (
        "/",
        "/account",
        "/posts/new",
        f"/posts/{post_id}",
        f"/posts/{post_id}/edit",
        f"/posts/{post_id}/delete",
        "/users/alice",
        "/no-such-page",
    ):
        response = alice.get(page)
        assert response.status_code in (200, 404)
        assert "no-store" in response.headers["cache-control"], page


def test_sec10_csrf_token_is_bound_to_the_session(alice, bob, db):
    bobs = bob.token("/posts/new")
    form = {"title": "x", "content": "y", "csrf_token": bobs}
    assert alice.client.post("/posts", data=form).status_code == 403
    assert db.exec(select(func.count()).select_from(Post)).one() == 0


def test_sec10_csrf_token_rotates_at_login(make_browser, alice):
    b = make_browser()
    anonymous_token = b.token("/login")
    assert b.login().status_code == 303
    form = {"title": "x", "content": "y", "published": "1"}
    assert b.client.post("/posts", data={**form, "csrf_token": anonymous_token}).status_code == 403
    first_session_token = b.token("/posts/new")
    assert first_session_token != anonymous_token
    b.logout()
    b.login()
    assert (
        b.client.post("/posts", data={**form, "csrf_token": first_session_token}).status_code == 403
    )
    assert b.client.post("/posts", data={**form, "csrf_token": b.token()}).status_code == 303


def test_sec10_csrf_token_is_compared_in_constant_time(alice):
    token = alice.token("/posts/new")
    with mock.patch("app.security.hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        response = alice.client.post(
            "/posts", data={"title": "t", "content": "c", "csrf_token": token}
        )
    assert response.status_code == 303
    assert any(call.args[0] == token for call in compare.call_args_list)


def test_sec10_login_csrf_uses_a_pre_session_nonce(make_browser, alice):
    first, second = make_browser(), make_browser()
    token = first.token("/login")
    form = {"email": "alice@example.com", "password": PASSWORD, "csrf_token": token}
    assert second.client.post("/login", data=form).status_code == 403  # another browser's nonce
    assert first.client.post("/login", data=form).status_code == 303


def forged_tokens(claims: dict, key: str) -> dict[str, str]:  # type: ignore[type-arg]
    good = fresh_claims(claims)
    return {
        "alg none": unsigned_token({"alg": "none", "typ": "JWT"}, good),
        "alg None": unsigned_token({"alg": "None"}, good),
        "alg none with a valid signature": hmac_signed_token({"alg": "none"}, good, key),
        "HS512 with the right key": hmac_signed_token({"alg": "HS512"}, good, key, "sha512"),
        "HS384 with the right key": hmac_signed_token({"alg": "HS384"}, good, key, "sha384"),
        # Key confusion: an RS256/ES256 header over an HMAC made with the server's own key.
        "RS256 header, HMAC signature": hmac_signed_token({"alg": "RS256"}, good, key),
        "ES256 header, HMAC signature": hmac_signed_token({"alg": "ES256"}, good, key),
        # A header offering its own key ("a", base64url "YQ") must not be believed.
        "embedded jwk": hmac_signed_token(
            {"alg": "HS256", "jwk": {"kty": "oct", "k": "YQ"}}, good, "a"
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "alg none",
        "alg None",
        "alg none with a valid signature",
        "HS512 with the right key",
        "HS384 with the right key",
        "RS256 header, HMAC signature",
        "ES256 header, HMAC signature",
        "embedded jwk",
    ],
)
def test_sec26_algorithm_is_pinned_to_hs256(alice, app, settings, kind):
    claims = claims_of(session_token(alice))
    token = forged_tokens(claims, settings.signing_key)[kind]
    assert logged_in_as(app, token) is None
    control = jwt.encode(fresh_claims(claims), settings.signing_key, algorithm="HS256")
    assert logged_in_as(app, control) == "alice"


def flip(token: str, part: int, index: int) -> str:
    pieces = token.split(".")
    segment = pieces[part]
    replacement = "A" if segment[index] != "A" else "B"
    pieces[part] = segment[:index] + replacement + segment[index + 1 :]
    return ".".join(pieces)


def test_sec27_tampered_tokens_are_rejected(alice, bob, app, db):
    token = session_token(alice)
    for index in (0, 5, 20, -2):
        assert logged_in_as(app, flip(token, 1, index)) is None
        assert logged_in_as(app, flip(token, 2, index)) is None
    # Swapping in bob's id but keeping alice's signature.
    claims = claims_of(token)
    bob_id = get_user(db, "bob").id
    swapped = unsigned_token({"alg": "HS256", "typ": "JWT"}, {**claims, "sub": str(bob_id)})
    signature = token.rsplit(".", 1)[1]
    assert logged_in_as(app, swapped.rsplit(".", 1)[0] + "." + signature) is None
    for junk in ("", "abc", "a.b.c", token[:-3], token + "x", "." * 3000, "%FF.%00.e"):
        assert logged_in_as(app, junk) is None


def test_sec27_tokens_signed_with_another_key_are_rejected(alice, app, settings):
    claims = fresh_claims(claims_of(session_token(alice)))
    for key in ("another-secret-key-" + "y" * 40, settings.signing_key + "x", "k"):
        token = hmac_signed_token({"alg": "HS256", "typ": "JWT"}, claims, key)
        assert logged_in_as(app, token) is None


def test_sec27_valid_signature_without_a_live_session_is_rejected(alice, app, settings, db):
    claims = claims_of(session_token(alice))
    unknown = jwt.encode(
        fresh_claims(claims, jti="not-a-session"), settings.signing_key, algorithm="HS256"
    )
    assert logged_in_as(app, unknown) is None
    # An API bearer token (typ "api") is not a page cookie, even for a live session.
    user = db.exec(select(User)).one()
    api_token, _ = sessions.start(session=db, settings=settings, user=user, kind="api")
    assert logged_in_as(app, api_token) is None
