"""Follows and the home tabs: follow rules, profile counts and lists, Following and Top feeds."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update
from sqlmodel import func, select

from app.models import Follow, Post, User
from app.services import follows
from tests.conftest import get_user, post_id_from


def follow_rows(db) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return {(f.follower_id, f.followed_id) for f in db.exec(select(Follow)).all()}


def counts(page: str) -> tuple[int, int]:
    followers = re.search(r"<strong>(\d+)</strong> followers?</a>", page)
    following = re.search(r"<strong>(\d+)</strong> following</a>", page)
    assert followers and following
    return int(followers.group(1)), int(following.group(1))


def people(html: str) -> list[str]:
    listing = re.search(r'<ul class="person-cards">(.*?)</ul>', html, re.S)
    return re.findall(r'<h2><a href="/users/(\w+)">', listing.group(1)) if listing else []


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="post-title"><a href="/posts/\d+">(.*?)</a>', html)


# --- following from a profile ------------------------------------------------------------------


def test_follow_and_unfollow_from_the_profile(alice, bob, db):
    page = alice.get("/users/bob").text
    assert 'action="/users/bob/follow"' in page and counts(page) == (0, 0)
    response = alice.submit("/users/bob/follow", page="/users/bob")
    assert response.status_code == 303 and response.headers["location"] == "/users/bob"
    page = alice.get("/users/bob").text
    assert "You follow bob now." in page
    assert 'action="/users/bob/unfollow"' in page and counts(page) == (1, 0)
    assert counts(alice.get("/users/alice").text) == (0, 1)
    assert follow_rows(db) == {(get_user(db, "alice").id, get_user(db, "bob").id)}

    response = alice.submit("/users/bob/unfollow", page="/users/bob")
    assert response.status_code == 303
    assert counts(alice.get("/users/bob").text) == (0, 0)
    assert follow_rows(db) == set()


def test_following_twice_is_one_follow_and_unfollowing_twice_is_fine(alice, bob, db):
    for _ in range(2):
        assert alice.submit("/users/BOB/follow", page="/users/bob").status_code == 303
    assert len(follow_rows(db)) == 1
    for _ in range(2):
        assert alice.submit("/users/bob/unfollow", page="/users/bob").status_code == 303
    assert follow_rows(db) == set()


def test_no_self_follow(alice, db):
    page = alice.get("/users/alice").text
    assert 'action="/users/alice/follow"' not in page  # no button on your own profile
    response = alice.submit("/users/alice/follow", page="/users/alice")
    assert response.status_code == 400 and "cannot follow yourself" in response.text
    assert follow_rows(db) == set()


def test_database_refuses_self_follow_too(alice, db):
    from sqlalchemy.exc import IntegrityError

    user_id = get_user(db, "alice").id
    db.add(Follow(follower_id=user_id, followed_id=user_id))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_follow_needs_login_and_csrf(alice, bob, make_browser, db):
    anonymous = make_browser()
    response = anonymous.submit("/users/bob/follow", page="/login")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert alice.client.post("/users/bob/follow", data={}).status_code == 403
    assert alice.client.post("/users/bob/follow", data={"csrf_token": "x"}).status_code == 403
    assert alice.get("/users/bob/follow").status_code == 405
    assert follow_rows(db) == set()


def test_following_someone_unknown_is_404(alice, db):
    assert alice.submit("/users/nobody/follow", page="/").status_code == 404
    assert follow_rows(db) == set()


def test_anonymous_profile_offers_login_to_follow(bob, make_browser):
    page = make_browser().get("/users/bob").text
    assert 'href="/login?next=/users/bob"' in page and 'action="/users/bob/follow"' not in page


def test_follower_and_following_lists(alice, bob, make_browser):
    carol = make_browser()
    carol.register("carol")
    alice.submit("/users/bob/follow", page="/")
    carol.submit("/users/bob/follow", page="/")
    alice.submit("/users/carol/follow", page="/")
    followers = alice.get("/users/bob/followers").text
    assert people(followers) == ["carol", "alice"]
    following = alice.get("/users/alice/following").text
    assert people(following) == ["carol", "bob"]
    assert "does not follow anyone" in alice.get("/users/bob/following").text
    assert alice.get("/users/nobody/followers").status_code == 404


def test_follows_go_with_the_account(alice, bob, db):
    alice.submit("/users/bob/follow", page="/")
    bob.submit("/users/alice/follow", page="/")
    assert len(follow_rows(db)) == 2
    db.exec(delete(User).where(User.username_key == "bob"))
    db.commit()
    assert follow_rows(db) == set()


def test_follow_limit(alice, bob, db, monkeypatch):
    monkeypatch.setattr(follows, "MAX_FOLLOWING", 0)
    response = alice.submit("/users/bob/follow", page="/")
    assert response.status_code == 400 and "at most 0 people" in response.text
    assert follow_rows(db) == set()


# --- home tabs ------------------------------------------------------------------------------------


def test_tabs_on_the_home_page(alice, make_browser):
    anonymous = make_browser().get("/").text
    assert 'href="/"' in anonymous and 'href="/top"' in anonymous
    assert 'href="/following"' not in anonymous
    mine = alice.get("/").text
    assert re.search(r'<a href="/" aria-current="page">Latest</a>', mine)
    assert 'href="/following"' in mine
    assert re.search(r'<a href="/top" aria-current="page">Top</a>', alice.get("/top").text)


def test_following_tab_needs_login(make_browser):
    response = make_browser().get("/following")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/following"


def test_following_shows_only_published_posts_of_people_you_follow(alice, bob, make_browser):
    carol = make_browser()
    carol.register("carol")
    bob.create_post("Bob one", "x")
    carol.create_post("Carol one", "x")
    bob.create_post("Bob draft", "x", published=False)
    alice.create_post("Alice own", "x")
    bob.create_post("Bob two", "x")
    assert "No posts from people you follow yet" in alice.get("/following").text
    alice.submit("/users/bob/follow", page="/")
    page = alice.get("/following").text
    assert card_titles(page) == ["Bob two", "Bob one"]
    assert page.count('<p class="excerpt">x</p>') == 2
    alice.submit("/users/carol/follow", page="/")
    assert card_titles(alice.get("/following").text) == ["Bob two", "Carol one", "Bob one"]


def test_following_pages_newest_first_without_gaps(alice, bob, make_browser, db):
    carol = make_browser()
    carol.register("carol")
    for i in range(25):
        (bob if i % 3 else carol).create_post(f"Post {i:02d}", "x")
    alice.submit("/users/bob/follow", page="/")
    alice.submit("/users/carol/follow", page="/")
    seen: list[str] = []
    url = "/following"
    while url:
        page = alice.get(url).text
        seen += card_titles(page)
        older = re.search(r'rel="next" href="(/following\?before=[\w-]+)"', page)
        url = older.group(1) if older else ""
    assert seen == [f"Post {i:02d}" for i in reversed(range(25))]
    # A damaged link starts again from the newest.
    assert card_titles(alice.get("/following?before=garbage!").text)[0] == "Post 24"


def test_top_ranks_last_weeks_posts_by_votes(alice, bob, make_browser, db):
    voters = [make_browser() for _ in range(3)]
    for i, voter in enumerate(voters):
        voter.register(f"voter{i}")
    old = post_id_from(alice.create_post("Old favourite", "x"))
    one = post_id_from(alice.create_post("One vote", "x"))
    three = post_id_from(bob.create_post("Three votes", "x"))
    draft = post_id_from(bob.create_post("Draft", "x", published=False))
    none = post_id_from(bob.create_post("No votes", "x"))
    for voter in voters:
        voter.submit(f"/posts/{three}/vote", page=f"/posts/{three}")
        voter.submit(f"/posts/{old}/vote", page=f"/posts/{old}")
    voters[0].submit(f"/posts/{one}/vote", page=f"/posts/{one}")
    db.exec(
        update(Post).where(Post.id == old).values(created_at=datetime.now(UTC) - timedelta(days=8))
    )
    db.exec(update(Post).where(Post.id == draft).values(vote_count=99))
    db.commit()
    page = make_browser().get("/top").text
    assert card_titles(page) == ["Three votes", "One vote", "No votes"]
    # The very posts, by id: the newest post with no votes still shows, last.
    shown = [int(i) for i in re.findall(r'<h2 class="post-title"><a href="/posts/(\d+)">', page)]
    assert shown == [three, one, none]


def test_top_paginates(alice, db):
    for i in range(22):
        alice.create_post(f"T{i:02d}", "x")
    db.exec(update(Post).values(vote_count=Post.id))
    db.commit()
    first = card_titles(alice.get("/top").text)
    second = card_titles(alice.get("/top?page=2").text)
    assert first == [f"T{i:02d}" for i in reversed(range(2, 22))]
    assert second == ["T01", "T00"]
    assert db.exec(select(func.count()).select_from(Post)).one() == 22


# --- the JSON API ------------------------------------------------------------------------------


def test_api_follow_and_unfollow(alice_api, bob_api, db):
    response = alice_api.post("/api/users/BOB/follow")
    assert response.status_code == 200
    assert response.json() == {"username": "bob", "following": True, "followers": 1}
    assert alice_api.post("/api/users/bob/follow").json()["followers"] == 1  # idempotent
    assert len(follow_rows(db)) == 1
    assert alice_api.delete("/api/users/bob/follow").status_code == 204
    assert alice_api.delete("/api/users/bob/follow").status_code == 204
    assert follow_rows(db) == set()


def test_api_follow_errors(alice_api, api, db):
    assert alice_api.post("/api/users/alice/follow").status_code == 400
    assert alice_api.post("/api/users/alice/follow").json() == {
        "detail": "You cannot follow yourself."
    }
    assert alice_api.post("/api/users/nobody/follow").status_code == 404
    assert api.post("/api/users/alice/follow").status_code == 401
    assert api.get("/api/feed").status_code == 401
    assert follow_rows(db) == set()


def test_api_feed_pages_through_followed_posts(alice_api, bob_api, make_api):
    carol = make_api("carol")
    for i in range(5):
        (bob_api if i % 2 else carol).create_post(f"F{i}", "x")
    bob_api.create_post("Hidden", "x", published=False)
    alice_api.post("/api/users/bob/follow")
    alice_api.post("/api/users/carol/follow")
    body = alice_api.get("/api/feed?limit=2").json()
    seen = [p["title"] for p in body["items"]]
    while body["next"]:
        body = alice_api.get(body["next"]).json()
        seen += [p["title"] for p in body["items"]]
    assert seen == ["F4", "F3", "F2", "F1", "F0"]
    assert alice_api.get("/api/feed?cursor=!!!").status_code == 422
    # A search's cursor (an offset into ranked results) does not continue the feed.
    search_cursor = alice_api.get("/api/posts?search=x&limit=1").json()["next_cursor"]
    assert alice_api.get(f"/api/feed?cursor={search_cursor}").status_code == 422
    assert alice_api.get("/api/feed?limit=0").status_code == 422


def test_people_lists_are_cards_with_avatar_bio_and_a_follow_button(alice, bob, make_browser):
    carol = make_browser()
    carol.register("carol")
    carol.submit("/account/bio", {"bio": "Grows  <b>quinces</b>\n and writes."}, page="/account")
    alice.submit("/users/bob/follow", page="/")
    carol.submit("/users/bob/follow", page="/")
    html = alice.get("/users/bob/followers").text
    card = re.search(r'<li class="card person-card">(.*?)</li>', html, re.S).group(1)
    assert '<span class="avatar" aria-hidden="true">C</span>' in card
    assert '<p class="bio">Grows &lt;b&gt;quinces&lt;/b&gt; and writes.</p>' in card
    assert 'action="/users/carol/follow"' in card and "Follow carol" in card
    # Pressing it follows and comes back to the same list, where the button now says Unfollow.
    response = alice.submit(
        "/users/carol/follow", {"next": "/users/bob/followers"}, page="/users/bob/followers"
    )
    assert response.status_code == 303 and response.headers["location"] == "/users/bob/followers"
    assert 'action="/users/carol/unfollow"' in alice.get("/users/bob/followers").text
    # Your own card has no button, and a `next` off the people lists goes to the profile.
    assert 'action="/users/alice/' not in html
    away = alice.submit("/users/carol/unfollow", {"next": "https://evil.example/"}, page="/")
    assert away.headers["location"] == "/users/carol"


def test_a_bio_is_saved_shown_and_bounded(alice, db):
    response = alice.submit("/account/bio", {"bio": "I  like\nbeans."}, page="/account/profile")
    assert response.status_code == 303
    assert "Saved: your bio." in alice.get("/account/profile").text
    assert '<p class="bio">I like beans.</p>' in alice.get("/users/alice").text
    too_long = alice.submit("/account/bio", {"bio": "x" * 301}, page="/account/profile")
    assert too_long.status_code == 422 and "Keep it to 300 characters" in too_long.text
    assert get_user(db, "alice").bio == "I like beans."
