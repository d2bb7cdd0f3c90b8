"""Bookmarks and dismissing: toggled without JavaScript, private, listed, exported, undone."""

import json
import re

from sqlalchemy import update
from sqlmodel import select

from app.models import Bookmark, Dismissal, Post
from app.services import users
from tests.conftest import get_user, post_id_from


def titles(html: str) -> list[str]:
    return re.findall(r'class="post-title"><a href="/posts/\d+">(.*?)</a>', html)


def test_bookmark_toggles_from_the_post_page_and_lists_newest_first(alice, bob):
    first = post_id_from(alice.create_post("First"))
    second = post_id_from(alice.create_post("Second"))
    page = bob.get(f"/posts/{first}").text
    assert 'aria-pressed="false">Bookmark</button>' in page
    response = bob.submit(f"/posts/{first}/bookmark", {}, page=f"/posts/{first}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/posts/{first}"
    assert 'aria-pressed="true">Bookmarked (remove)' in bob.get(f"/posts/{first}").text
    bob.submit(f"/posts/{second}/bookmark", {}, page=f"/posts/{second}")
    assert titles(bob.get("/bookmarks").text) == ["Second", "First"]
    bob.submit(f"/posts/{first}/bookmark", {}, page=f"/posts/{first}")  # off again
    assert titles(bob.get("/bookmarks").text) == ["Second"]


def test_bookmarks_are_private(alice, bob, browser):
    post_id = post_id_from(alice.create_post("Saved by bob"))
    bob.submit(f"/posts/{post_id}/bookmark", {}, page=f"/posts/{post_id}")
    # Nobody else learns of it: not the author, not a visitor, and no count anywhere.
    for viewer in (alice, browser):
        page = viewer.get(f"/posts/{post_id}").text
        assert "Bookmarked" not in page
    assert titles(alice.get("/bookmarks").text) == []
    assert browser.get("/bookmarks").status_code == 303  # to the login page


def test_bookmarks_page_by_keyset(alice, bob):
    for n in range(22):
        post_id = post_id_from(alice.create_post(f"Post {n}"))
        bob.submit(f"/posts/{post_id}/bookmark", {}, page=f"/posts/{post_id}")
    first = bob.get("/bookmarks").text
    assert len(titles(first)) == 20
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older
    assert titles(bob.get(older.group(1).replace("&amp;", "&")).text) == ["Post 1", "Post 0"]


def test_a_post_that_is_no_longer_public_leaves_the_bookmarks(alice, bob, db):
    post_id = post_id_from(alice.create_post("Soon a draft"))
    bob.submit(f"/posts/{post_id}/bookmark", {}, page=f"/posts/{post_id}")
    db.exec(update(Post).where(Post.id == post_id).values(published=False))
    db.commit()
    assert titles(bob.get("/bookmarks").text) == []
    # Nor can a draft that is not yours be bookmarked.
    assert bob.submit(f"/posts/{post_id}/bookmark", {}, page="/").status_code == 404


def test_bookmarks_are_in_the_data_export(alice, bob):
    post_id = post_id_from(alice.create_post("Exported"))
    bob.submit(f"/posts/{post_id}/bookmark", {}, page=f"/posts/{post_id}")
    data = json.loads(bob.get("/account/export").content)
    assert [(b["post_id"], b["post_title"]) for b in data["bookmarks"]] == [(post_id, "Exported")]


def test_dismiss_takes_a_post_out_of_my_feeds_and_the_account_page_undoes_it(alice, bob):
    gone = post_id_from(alice.create_post("Soggy pancakes"))
    alice.create_post("Still here")
    bob.submit("/users/alice/follow", {}, page="/users/alice")
    response = bob.submit(f"/posts/{gone}/dismiss", {}, page=f"/posts/{gone}")
    assert response.status_code == 303
    for url in ("/", "/top", "/following", "/search?q=pancakes"):
        assert "Soggy pancakes" not in bob.get(url).text, url
    assert "Still here" in bob.get("/").text
    assert "Soggy pancakes" in alice.get("/").text  # only bob's feeds
    assert "Soggy <mark>pancakes</mark>" in alice.get("/search?q=pancakes").text
    page = bob.get("/account/filters").text
    assert f'href="/posts/{gone}">Soggy pancakes</a>' in page
    bob.submit(f"/account/dismissed/{gone}/delete", {}, page="/account/filters")
    assert "Soggy pancakes" in bob.get("/").text


def test_deleting_an_account_takes_its_bookmarks_and_dismissals(alice, bob, db):
    post_id = post_id_from(alice.create_post("Marked"))
    bob.submit(f"/posts/{post_id}/bookmark", {}, page=f"/posts/{post_id}")
    bob.submit(f"/posts/{post_id}/dismiss", {}, page=f"/posts/{post_id}")
    assert len(db.exec(select(Bookmark)).all()) == 1
    users.remove(session=db, user=get_user(db, "bob"))
    assert db.exec(select(Bookmark)).all() == []
    assert db.exec(select(Dismissal)).all() == []
