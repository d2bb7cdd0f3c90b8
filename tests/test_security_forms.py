"""SECURITY.md rows 9, 11-13, 21, 22, 24 and 25: forms, their tokens and who may change what."""

import threading
from urllib.parse import quote, unquote

import pytest
from sqlmodel import Session, func, select

from app.models import Post, User, Vote
from app.security import session_handle
from app.services import votes
from tests.conftest import PASSWORD, get_post, get_user, post_id_from, set_role
from tests.sectools import claims_of, fill_path, form_routes, logged_in_as, session_token, snapshot

# Values that would succeed with a valid token, so a refusal can only come from the token check.
PLAUSIBLE_FORM = {
    "title": "Forged",
    "content": "forged body",
    "published": "1",
    "username": "mallory",
    "email": "mallory@example.com",
    "password": PASSWORD,
    "current_password": PASSWORD,
    "new_password": "forged new passphrase",
    "confirm_password": "forged new passphrase",
    "next": "/",
}
KNOWN_FORMS = {
    "/register",
    "/login",
    "/logout",
    "/posts",
    "/posts/{post_id}/edit",
    "/posts/{post_id}/delete",
    "/posts/{post_id}/vote",
    "/account/password",
    "/account/sessions/end",
    "/account/sessions/end-others",
}
ROUTES = form_routes()


def test_every_known_form_is_found():
    assert {route.path for route in ROUTES} >= KNOWN_FORMS


@pytest.fixture
def scene(alice, bob, make_browser, db):  # type: ignore[no-untyped-def]
    """alice (an administrator, so every form is hers to use) logged in twice, with a post."""
    set_role(db, "alice", "admin")
    second = make_browser()
    second.login()
    post_id = post_id_from(alice.create_post("Kept", "unchanged"))
    form = {**PLAUSIBLE_FORM, "session_id": session_handle(claims_of(session_token(second))["jti"])}
    return {"alice": alice, "second": second, "post_id": post_id, "form": form}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
def test_sec09_every_unsafe_form_refuses_a_missing_or_wrong_token(scene, app, db, route):
    alice = scene["alice"]
    before = snapshot(db, skip_tables=())
    for token in (None, "", "bogus", "0" * 64, alice.token() + "0"):
        data = dict(scene["form"])
        if token is not None:
            data["csrf_token"] = token
        response = alice.client.post(fill_path(route, scene["post_id"]), data=data)
        assert response.status_code == 403, token
        assert "did not come from this site" in response.text
    assert snapshot(db, skip_tables=()) == before
    assert logged_in_as(app, session_token(alice)) == "alice"


CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://testserver.evil.example"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
def test_sec11_cross_site_requests_are_refused_even_with_a_valid_token(scene, app, db, route):
    alice = scene["alice"]
    before = snapshot(db, skip_tables=())
    data = {**scene["form"], "csrf_token": alice.token()}
    for headers in CROSS_SITE:
        response = alice.client.post(fill_path(route, scene["post_id"]), data=data, headers=headers)
        assert response.status_code == 403, headers
    assert snapshot(db, skip_tables=()) == before
    assert logged_in_as(app, session_token(alice)) == "alice"


def test_sec11_same_origin_requests_pass(alice, db):
    token = alice.token("/posts/new")
    form = {"title": "ok", "content": "ok", "csrf_token": token}
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://testserver"}, {}):
        assert alice.client.post("/posts", data=form, headers=headers).status_code == 303
    assert db.exec(select(func.count()).select_from(Post)).one() == 3


@pytest.mark.parametrize(
    ("site", "origin"),
    [
        ("http://example.com", "http://evilexample.com"),  # ends with the site's host
        ("http://example.com", "http://evil.example.com"),  # a subdomain is another origin
        ("http://example.com", "http://example.com.evil"),
        ("http://example.com", "http://example.com:8080"),  # another port
        ("http://example.com", "https://example.com"),  # another scheme
        ("https://example.com", "http://example.com"),
    ],
)
def test_hole_17_origin_fallback_wants_the_exact_origin(make_browser, db, site, origin):
    b = make_browser(base_url=site)
    assert b.register("carol").status_code == 303
    form = {"title": "t", "content": "c", "csrf_token": b.token("/posts/new")}
    response = b.client.post("/posts", data=form, headers={"Origin": origin})
    assert response.status_code == 403, origin
    assert db.exec(select(func.count()).select_from(Post)).one() == 0
    # The same form from the site's own origin is accepted.
    response = b.client.post("/posts", data=form, headers={"Origin": site})
    assert response.status_code == 303


def test_sec12_login_and_register_need_the_pre_session_token(alice, make_browser, db):
    b = make_browser()
    login = {"email": "alice@example.com", "password": PASSWORD}
    response = b.client.post("/login", data=login)
    assert response.status_code == 403
    assert "agora_session" not in response.headers.get("set-cookie", "")
    register = {"username": "eve", "email": "eve@example.com", "password": PASSWORD}
    assert b.client.post("/register", data=register).status_code == 403
    assert db.exec(select(func.count()).select_from(User)).one() == 1
    # With the token of this browser's own pre-session both work.
    assert b.submit("/login", login, page="/login").status_code == 303


def test_sec13_get_never_changes_state(scene, app, db):
    alice = scene["alice"]
    post_id = scene["post_id"]
    alice.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    before = snapshot(db, skip_tables=())
    for route in ROUTES:
        response = alice.get(fill_path(route, post_id))
        # 303: the login and sign-up forms send a logged-in visitor on, changing nothing.
        assert response.status_code in (200, 303, 404, 405), route.path
        if response.status_code == 200:
            # A page (a form, or the confirmation before deleting) whose own form POSTs.
            assert '<form method="post"' in response.text, route.path
    assert snapshot(db, skip_tables=()) == before
    assert logged_in_as(app, session_token(alice)) == "alice"
    assert logged_in_as(app, session_token(scene["second"])) == "alice"


EVIL_TARGETS = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https:/evil.example",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_sec21_next_only_redirects_to_local_paths(alice, make_browser, target):
    b = make_browser()
    page = b.get(f"/login?next={quote(target, safe='')}")
    assert page.status_code == 200 and "evil.example" not in page.text
    location = b.login(next=target).headers["location"]
    assert location == "/"
    post_id = post_id_from(alice.create_post())
    voter = make_browser()
    voter.register("bob")  # nobody votes for their own post
    response = voter.submit(f"/posts/{post_id}/vote", {"next": target})
    assert response.headers["location"] == f"/posts/{post_id}"


def test_sec21_local_next_is_kept(alice, make_browser):
    assert make_browser().login(next="/users/alice?page=1").headers["location"] == (
        "/users/alice?page=1"
    )


def test_sec21_login_redirect_ignores_a_foreign_referer(alice, make_browser):
    b = make_browser()
    token = b.token("/login")
    response = b.client.post(
        "/posts", data={"csrf_token": token}, headers={"Referer": "https://evil.example/x"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/"
    response = b.client.post(
        "/posts", data={"csrf_token": token}, headers={"Referer": "http://testserver/users/alice"}
    )
    assert response.headers["location"] == "/login?next=/users/alice"


def test_sec22_only_the_owner_edits_or_deletes(alice, bob, db):
    post_id = post_id_from(alice.create_post("Alice's", "mine"))
    assert bob.get(f"/posts/{post_id}/edit").status_code == 403
    token = bob.token()  # bob's own, valid token
    edit = bob.client.post(
        f"/posts/{post_id}/edit",
        data={"title": "pwned", "content": "pwned", "published": "1", "csrf_token": token},
    )
    assert edit.status_code == 403 and "Only the author" in edit.text
    delete = bob.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    assert delete.status_code == 403
    post = get_post(db, post_id)
    assert post is not None and (post.title, post.content) == ("Alice's", "mine")


def test_sec22_drafts_of_others_are_not_found(alice, bob, db):
    post_id = post_id_from(alice.create_post("Draft", "secret", published=False))
    token = bob.token()
    for action in ("edit", "delete", "vote"):
        response = bob.client.post(
            f"/posts/{post_id}/{action}", data={"title": "x", "content": "y", "csrf_token": token}
        )
        assert response.status_code == 404
    assert get_post(db, post_id).title == "Draft"


def test_sec22_sessions_of_others_cannot_be_ended(alice, bob, app):
    bobs_handle = session_handle(claims_of(session_token(bob))["jti"])
    response = alice.submit("/account/sessions/end", {"session_id": bobs_handle}, page="/account")
    assert response.status_code == 404
    assert logged_in_as(app, session_token(bob)) == "bob"


def test_sec24_registration_ignores_privileged_fields(make_browser, db):
    b = make_browser()
    form = {
        "username": "mallory",
        "email": "mallory@example.com",
        "password": PASSWORD,
        "is_admin": "true",
        "role": "admin",
        "is_active": "false",
        "id": "999",
        "username_key": "admin",
        "password_hash": "$2b$04$" + "x" * 53,
        "created_at": "2000-01-01T00:00:00Z",
    }
    assert b.submit("/register", form, page="/register").status_code == 303
    user = get_user(db, "mallory")
    assert (user.role, user.is_admin, user.is_active) == ("user", False, True)
    assert user.id != 999 and user.username_key == "mallory"
    assert user.password_hash != form["password_hash"]
    assert user.created_at.year > 2000


def test_sec24_posts_ignore_owner_and_counters(alice, bob, db):
    bob_id = get_user(db, "bob").id
    extra = {"owner_id": str(bob_id), "vote_count": "99", "id": "4242", "created_at": "2000-01-01"}
    post_id = post_id_from(
        alice.submit("/posts", {"title": "t", "content": "c", **extra}, page="/posts/new")
    )
    alice.submit(f"/posts/{post_id}/edit", {"title": "t2", "content": "c2", **extra})
    post = get_post(db, post_id)
    assert post.owner_id == get_user(db, "alice").id
    assert post.vote_count == 0 and post.id != 4242 and post.created_at.year > 2000


def test_sec25_one_vote_per_user_per_post_under_concurrency(alice, bob, app, db):
    post_id = post_id_from(alice.create_post())
    voter_id = get_user(db, "bob").id
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def vote() -> None:
        with Session(app.state.engine, expire_on_commit=False) as session:
            post, user = session.get(Post, post_id), session.get(User, voter_id)
            barrier.wait()
            results.append(votes.add(session=session, post=post, user=user))

    threads = [threading.Thread(target=vote) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]
    assert db.exec(select(func.count()).select_from(Vote)).one() == 1
    assert get_post(db, post_id).vote_count == 1


def test_sec25_concurrent_vote_toggles_keep_the_count_right(alice, bob, db):
    post_id = post_id_from(alice.create_post())
    token = bob.token(f"/posts/{post_id}")
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def toggle() -> None:
        barrier.wait()
        response = bob.client.post(f"/posts/{post_id}/vote", data={"csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=toggle) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 4
    rows = db.exec(select(func.count()).select_from(Vote)).one()
    assert rows in (0, 1)
    assert get_post(db, post_id).vote_count == rows


def test_a_form_posted_after_the_session_ended_comes_back_with_its_query_string(
    alice, make_browser
):
    b = make_browser()
    token = b.token("/login")
    response = b.client.post(
        "/posts",
        data={"csrf_token": token},
        headers={"Referer": "http://testserver/account/posts?status=draft&page=2"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/posts%3Fstatus%3Ddraft%26page%3D2"
    back = b.login(next=unquote(response.headers["location"].partition("next=")[2]))
    assert back.headers["location"] == "/account/posts?status=draft&page=2"
