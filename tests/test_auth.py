"""Registration, login, logout and the session cookie, as a browser sees them."""

import re

import pytest
from sqlmodel import select

from app.models import User
from tests.conftest import PASSWORD, get_user


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">([^<]*)<', html)
    return match.group(1) if match else ""


def test_register_logs_in_and_redirects_home(browser):
    response = browser.register("alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = browser.get("/")
    assert "Welcome to Agora, alice!" in home.text
    assert 'href="/users/alice"' in home.text and "Log out" in home.text


def test_register_form_shows_password_rules(browser):
    page = browser.get("/register").text
    assert "At least 8 characters" in page and "72 bytes" in page


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("username", {"username": "ab"}, "3 to 30"),
        ("username", {"username": "a" * 31}, "3 to 30"),
        ("username", {"username": "bad name!"}, "letters, digits and underscores"),
        ("email", {"email": "not-an-email"}, "valid email"),
        ("password", {"password": "short"}, "at least 8"),
        ("password", {"password": "é" * 40}, "72 bytes"),
        ("password", {"password": "password123"}, "too common"),
    ],
)
def test_register_validation_keeps_input(browser, db, field, data, message):
    form = {"username": "carol_1", "email": "carol@example.com", "password": PASSWORD, **data}
    response = browser.submit("/register", form, page="/register")
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    if field != "username":
        assert 'value="carol_1"' in response.text
    if field != "password":
        assert PASSWORD not in response.text  # the password is never echoed back
    assert db.exec(select(User)).all() == []


def test_duplicate_username_and_email_ignore_case(alice, make_browser, db):
    other = make_browser()
    response = other.register("ALICE", email="other@example.com")
    assert response.status_code == 422
    assert "taken" in field_error(response.text, "username")
    response = other.register("alice2", email="Alice@EXAMPLE.com")
    assert response.status_code == 422
    assert "already exists" in field_error(response.text, "email")
    assert len(db.exec(select(User)).all()) == 1


@pytest.mark.parametrize(
    ("email", "message"),
    [
        (
            "carol.example.com",
            "Enter a valid email address: it needs an @, as in name@example.com.",
        ),
        ("carol@", "Enter a valid email address, such as name@example.com."),
        ("carol@exa mple.com", "Enter a valid email address, such as name@example.com."),
    ],
)
def test_email_errors_are_plain_words_not_library_text(browser, email, message):
    form = {"username": "carol", "email": email, "password": PASSWORD}
    response = browser.submit("/register", form, page="/register")
    assert field_error(response.text, "email") == message
    assert "(" not in field_error(response.text, "email")


def test_a_taken_email_offers_a_link_to_log_in(alice, make_browser):
    response = make_browser().register("alice2", email="alice@example.com")
    assert (
        '<p class="error" id="email-error">An account with this email already exists. '
        '<a href="/login">Log in instead?</a></p>' in response.text
    )
    # Changing your email to a taken one is no occasion to log in.
    changed = alice.submit(
        "/account/profile",
        {"username": "alice", "email": "bob@example.com", "current_password": PASSWORD},
        page="/account/profile",
    )
    assert "Log in instead" not in changed.text


def test_the_login_failure_names_what_could_have_been_typed(alice, make_browser):
    by_name = make_browser().login("alice", "not the password").text
    assert "check the username or email and the password" in by_name
    assert "That email" not in by_name


def test_login_with_email_or_username(alice, make_browser):
    b = make_browser()
    assert b.login("ALICE@example.com").status_code == 303
    c = make_browser()
    assert c.login("alice").status_code == 303
    assert "Log out" in c.get("/").text


def test_wrong_password_and_unknown_email_look_the_same(alice, make_browser):
    b = make_browser()
    wrong = b.login("alice@example.com", "not the password")
    unknown = b.login("nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "do not match" in wrong.text

    def strip(html: str) -> str:
        html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
        return re.sub(r'id="email"[^>]*>', "", html)

    assert strip(wrong.text) == strip(unknown.text)


def test_login_next_only_local(alice, make_browser):
    b = make_browser()
    assert b.login(next="/posts/new").headers["location"] == "/posts/new"
    for evil in (
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        c = make_browser()
        assert c.login(next=evil).headers["location"] == "/"


def test_anonymous_is_sent_to_login_with_next_and_back(alice, make_browser):
    b = make_browser()
    response = b.get("/posts/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/posts/new"
    login_page = b.get(response.headers["location"]).text
    assert 'name="next" value="/posts/new"' in login_page
    assert b.login(next="/posts/new").headers["location"] == "/posts/new"


def test_logout_ends_the_session(alice):
    response = alice.logout()
    assert response.status_code == 303
    assert "Log in" in alice.get("/").text
    assert alice.get("/posts/new").status_code == 303


def test_password_is_hashed_with_bcrypt(alice, db):
    user = get_user(db, "alice")
    assert user.password_hash.startswith("$2b$04$")
    assert PASSWORD not in user.password_hash


def test_cookie_flags_over_http(make_browser):
    b = make_browser()
    response = b.register("alice")
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("agora_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie and "Domain" not in cookie  # plain http://127.0.0.1 must work


def test_cookie_flags_over_https(make_browser):
    b = make_browser("https://testserver")
    response = b.register("alice")
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-agora_session=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert "Log out" in b.get("/").text
