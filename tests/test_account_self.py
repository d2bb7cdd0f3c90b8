"""Looking after your own account: username and email, my posts, my data, deleting it all."""

import json
import re

import pytest
from sqlmodel import col, func, select, update

from app.models import AuthSession, Post, User, Vote
from tests.conftest import PASSWORD, get_post, get_user, post_id_from, set_role
from tests.test_auth import field_error

PAGES = ["/account/profile", "/account/posts", "/account/export", "/account/delete"]


def change_profile(browser, username="alice", email="alice@example.com", password=PASSWORD):  # type: ignore[no-untyped-def]
    return browser.submit(
        "/account/profile",
        {"username": username, "email": email, "current_password": password},
        page="/account/profile",
    )


@pytest.mark.parametrize("url", PAGES)
def test_account_pages_need_login(browser, url):
    response = browser.get(url)
    assert response.status_code == 303 and response.headers["location"] == f"/login?next={url}"


def test_account_nav_links_every_page(alice):
    page = alice.get("/account/profile").text
    nav = page.split('aria-label="Your account"', 1)[1].split("</nav>", 1)[0]
    for url in ["/account", *PAGES]:
        assert f'href="{url}"' in nav
    assert 'href="/account/profile" aria-current="page"' in nav


# --- username and email ------------------------------------------------------------------------


def test_profile_form_shows_current_values(alice):
    page = alice.get("/account/profile").text
    assert 'value="alice"' in page and 'value="alice@example.com"' in page
    assert 'name="current_password" type="password"' in page


def test_change_username_and_email(alice, make_browser, db, mailbox):
    response = change_profile(alice, "Alicia", "Alicia@Example.org")
    assert response.status_code == 303 and response.headers["location"] == "/account/profile"
    page = alice.get("/account/profile").text
    assert "Saved: your username is now Alicia." in page
    assert "We sent a link to alicia@example.org: your address changes when you open it." in page
    user = get_user(db, "alicia")
    # The address changes only once the new one is confirmed; the old one hears of it.
    assert (user.username, user.email) == ("Alicia", "alice@example.com")
    notice = mailbox.to("alice@example.com")[-1]
    assert notice["Subject"] == "Your email address is being changed"
    link = mailbox.link("alicia@example.org", "/email/verify/")
    assert alice.get(link).headers["location"] == "/email/verify"
    assert alice.submit("/email/verify", page="/email/verify").status_code == 303
    assert get_user(db, "alicia").email == "alicia@example.org"
    assert alice.get("/users/Alicia").status_code == 200
    assert alice.get("/users/alice").status_code == 404
    assert make_browser().login("alicia@example.org").status_code == 303
    assert make_browser().login("alice@example.com").status_code == 400


def test_saving_the_same_values_says_so(alice):
    assert change_profile(alice).status_code == 303
    assert "Nothing to save" in alice.get("/account/profile").text


def test_wrong_password_changes_nothing_and_keeps_input(alice, db):
    response = change_profile(alice, "newname", "new@example.com", "not my password")
    assert response.status_code == 422
    assert field_error(response.text, "current_password") == "That is not your current password."
    assert 'value="newname"' in response.text and 'value="new@example.com"' in response.text
    assert "not my password" not in response.text
    assert get_user(db, "alice").email == "alice@example.com"


@pytest.mark.parametrize(
    ("username", "email", "field", "message"),
    [
        ("BOB", "alice@example.com", "username", "taken"),
        ("alice", "Bob@Example.com", "email", "already exists"),
        ("a b", "alice@example.com", "username", "letters, digits and underscores"),
        ("alice", "not-an-email", "email", "valid email"),
        ("x" * 5000, "alice@example.com", "username", "3 to 30"),
    ],
)
def test_profile_validation(alice, bob, db, username, email, field, message):
    response = change_profile(alice, username, email)
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    user = get_user(db, "alice")
    assert (user.username, user.email) == ("alice", "alice@example.com")


def test_password_guesses_on_the_profile_form_are_throttled(alice, settings):
    for _ in range(settings.login_max_failures_account):
        assert change_profile(alice, password="guess " * 3).status_code == 422
    response = change_profile(alice)  # even the right password waits now
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert "Too many failed logins" in field_error(response.text, "current_password")


def test_profile_change_needs_csrf(alice, db):
    data = {"username": "evil", "email": "alice@example.com", "current_password": PASSWORD}
    assert alice.client.post("/account/profile", data=data).status_code == 403
    assert get_user(db, "alice").username == "alice"


# --- my posts ----------------------------------------------------------------------------------


def test_my_posts_filters_published_and_drafts(alice, bob):
    alice.create_post("Out there")
    alice.create_post("Work in progress", published=False)
    bob.create_post("Bob's own")
    everything = alice.get("/account/posts").text
    assert "Out there" in everything and "Work in progress" in everything
    assert "Bob&#39;s own" not in everything
    published = alice.get("/account/posts?status=published").text
    assert "Out there" in published and "Work in progress" not in published
    drafts = alice.get("/account/posts?status=draft").text
    assert "Work in progress" in drafts and "Out there" not in drafts
    assert 'href="/account/posts?status=draft" aria-current="page"' in drafts
    assert "You have no drafts." in bob.get("/account/posts?status=draft").text
    assert alice.get("/account/posts?status=secret").status_code == 400


def test_my_posts_paginates_within_the_filter(alice):
    for i in range(22):
        alice.create_post(f"Draft {i:02d}", published=False)
    first = alice.get("/account/posts?status=draft").text
    assert 'href="/account/posts?status=draft&amp;page=2"' in first
    assert "Draft 00" in alice.get("/account/posts?status=draft&page=2").text


# --- download my data --------------------------------------------------------------------------


def test_download_my_data(alice, bob, db):
    mine = post_id_from(alice.create_post("Mine", "My words"))
    alice.create_post("My draft", "Unfinished", published=False)
    bobs = post_id_from(bob.create_post("Bob's", "Bob's words"))
    bobs_later_draft = post_id_from(bob.create_post("Bob's secret later", "x"))
    for post_id in (bobs, bobs_later_draft):
        alice.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    bob.submit(f"/posts/{mine}/vote", page=f"/posts/{mine}")  # nobody votes for their own
    bob.submit(
        f"/posts/{bobs_later_draft}/edit",
        {"title": "Bob's secret later", "content": "x"},  # unticked: back to a draft
        page=f"/posts/{bobs_later_draft}/edit",
    )

    response = alice.get("/account/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == 'attachment; filename="agora-alice-data.json"'
    assert response.headers["cache-control"] == "no-store"
    data = json.loads(response.text)
    assert (
        data["profile"]["username"] == "alice" and data["profile"]["email"] == "alice@example.com"
    )
    assert "password_hash" not in json.dumps(data)
    assert [(p["title"], p["published"], p["votes"]) for p in data["posts"]] == [
        ("Mine", True, 1),
        ("My draft", False, 0),
    ]
    assert data["posts"][0]["content"] == "My words"
    votes = {v["post_id"]: v["post_title"] for v in data["votes"]}
    # Bob's post that became a draft is his again: its title is not handed out.
    assert votes == {bobs: "Bob's", bobs_later_draft: None}
    assert "Bob's words" not in response.text


def test_export_includes_follows_and_bio(alice, bob, make_browser, db):
    carol = make_browser()
    carol.register("carol")
    alice.submit("/account/bio", {"bio": "Beans."}, page="/account/profile")
    alice.submit("/users/bob/follow", page="/")
    alice.submit("/users/carol/follow", page="/")
    bob.submit("/users/alice/follow", page="/")
    carol.submit("/users/alice/follow", page="/")
    db.exec(update(User).where(col(User.username) == "carol").values(is_active=False))
    db.commit()
    data = json.loads(alice.get("/account/export").text)
    assert data["profile"]["bio"] == "Beans."
    # Carol's account is deactivated: like the public lists, the export leaves her out.
    assert [f["username"] for f in data["following"]] == ["bob"]
    assert [f["username"] for f in data["followers"]] == ["bob"]
    assert all(f["since"] for f in data["following"] + data["followers"])


# --- delete my account -------------------------------------------------------------------------


def test_delete_page_says_what_will_go(alice):
    alice.create_post("One")
    alice.create_post("Two", published=False)
    page = alice.get("/account/delete").text
    assert "1 published post and 1 draft" in page and "0 votes you cast" in page
    assert 'href="/account/export"' in page


def test_delete_needs_the_password(alice, db):
    alice.create_post()
    response = alice.submit("/account/delete", {"current_password": "wrong one"}, page="/")
    assert response.status_code == 422 and "That is not your current password." in response.text
    assert get_user(db, "alice") and alice.get("/posts/new").status_code == 200


def test_delete_needs_csrf(alice, db):
    response = alice.client.post("/account/delete", data={"current_password": PASSWORD})
    assert response.status_code == 403 and get_user(db, "alice")


def test_delete_my_account_takes_posts_votes_and_sessions(alice, bob, make_browser, db):
    other_device = make_browser()
    other_device.login()
    mine = post_id_from(alice.create_post("Mine"))
    bobs = post_id_from(bob.create_post("Bob's"))
    alice.submit(f"/posts/{bobs}/vote", page=f"/posts/{bobs}")
    bob.submit(f"/posts/{mine}/vote", page=f"/posts/{mine}")
    alice_id = get_user(db, "alice").id

    response = alice.submit("/account/delete", {"current_password": PASSWORD}, page="/")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert re.search(r"agora_session=\"?\"?;", response.headers["set-cookie"])
    home = alice.get("/").text
    assert "Your account, posts and votes are deleted." in home and "Log in" in home

    db.expire_all()
    assert db.get(User, alice_id) is None
    assert db.exec(select(func.count()).where(Post.owner_id == alice_id)).one() == 0
    assert db.exec(select(func.count()).where(Vote.user_id == alice_id)).one() == 0
    assert db.exec(select(func.count()).where(AuthSession.user_id == alice_id)).one() == 0
    assert get_post(db, bobs).vote_count == 0
    # test_sec07: the other device is logged out at once too.
    assert other_device.get("/posts/new").status_code == 303
    assert make_browser().login().status_code == 400


def test_the_last_admin_cannot_delete_their_account(admin, make_browser, db):
    response = admin.submit("/account/delete", {"current_password": PASSWORD}, page="/")
    assert response.status_code == 403
    assert "only active administrator" in response.text
    assert get_user(db, "root") and admin.get("/account/profile").status_code == 200
    make_browser().register("deputy")
    set_role(db, "deputy", "admin")
    response = admin.submit("/account/delete", {"current_password": PASSWORD}, page="/")
    assert response.status_code == 303
    db.expire_all()
    assert db.exec(select(User).where(User.username_key == "root")).first() is None
