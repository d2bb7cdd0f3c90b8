"""Writing, reading, editing and deleting posts; the feed; profiles."""

import re

from sqlmodel import func, select

from app.models import Post
from tests.conftest import get_post, post_id_from


def test_create_post_shows_it_in_feed_and_page(alice, make_browser):
    response = alice.create_post("My first post", "Hello, world")
    assert response.status_code == 303
    post_id = post_id_from(response)
    page = alice.get(f"/posts/{post_id}")
    assert page.status_code == 200
    assert "My first post" in page.text and "Hello, world" in page.text
    assert "Your post is published." in page.text
    anonymous = make_browser()
    feed = anonymous.get("/").text
    assert f'href="/posts/{post_id}"' in feed and 'href="/users/alice"' in feed
    assert "alice@example.com" not in feed


def test_new_post_checkbox_checked_by_default(alice):
    page = alice.get("/posts/new").text
    assert re.search(r'name="published" type="checkbox" value="1" checked', page)


def test_post_validation_keeps_input(alice, db):
    response = alice.submit(
        "/posts", {"title": "", "content": "kept text", "published": "1"}, page="/posts/new"
    )
    assert response.status_code == 422
    assert 'id="title-error"' in response.text and "kept text" in response.text
    response = alice.submit("/posts", {"title": "t" * 201, "content": "x"}, page="/posts/new")
    assert response.status_code == 422 and "200 characters" in response.text
    response = alice.submit("/posts", {"title": "ok", "content": "x" * 20_001}, page="/posts/new")
    assert response.status_code == 422 and "20,000 characters" in response.text
    assert db.exec(select(func.count()).select_from(Post)).one() == 0


def test_feed_paginates_newest_first(alice):
    for i in range(25):
        alice.create_post(f"Post number {i:02d}", "body")
    first = alice.get("/").text
    assert first.index("Post number 24") < first.index("Post number 05")
    assert "Post number 04" not in first
    assert 'href="/?page=2"' in first
    second = alice.get("/?page=2").text
    assert "Post number 04" in second and "Post number 00" in second
    assert 'href="/?page=1"' in second and "?page=3" not in second


def test_feed_rejects_bad_page_numbers(browser):
    for bad in ("0", "-1", "abc", str(2**64)):
        response = browser.get(f"/?page={bad}")
        assert response.status_code == 400
        assert "<html" in response.text


def test_draft_is_private(alice, bob, make_browser):
    post_id = post_id_from(alice.create_post("Secret plan", "draft body", published=False))
    assert "Secret plan" in alice.get(f"/posts/{post_id}").text
    assert bob.get(f"/posts/{post_id}").status_code == 404
    assert make_browser().get(f"/posts/{post_id}").status_code == 404
    assert "Secret plan" not in bob.get("/").text
    assert "Secret plan" not in make_browser().get("/users/alice").text


def test_owner_edits_post(alice, db):
    post_id = post_id_from(alice.create_post("Before", "old"))
    form = alice.get(f"/posts/{post_id}/edit").text
    assert 'value="Before"' in form
    response = alice.submit(
        f"/posts/{post_id}/edit",
        {"title": "After", "content": "new", "published": "1"},
        page=f"/posts/{post_id}/edit",
    )
    assert response.status_code == 303
    page = alice.get(f"/posts/{post_id}").text
    assert "After" in page and "new" in page
    assert get_post(db, post_id).title == "After"


def test_unticking_publish_says_the_post_is_now_a_draft(alice, make_browser):
    post_id = post_id_from(alice.create_post("Public", "words"))
    edit = f"/posts/{post_id}/edit"
    alice.submit(edit, {"title": "Public", "content": "words"}, page=edit)
    assert "The post is now a draft: only you see it." in alice.get(f"/posts/{post_id}").text
    assert make_browser().get(f"/posts/{post_id}").status_code == 404
    alice.submit(edit, {"title": "Public", "content": "words", "published": "1"}, page=edit)
    assert "Your changes are saved, and the post is published." in alice.get("/").text
    alice.submit(edit, {"title": "Public", "content": "more", "published": "1"}, page=edit)
    page = alice.get(f"/posts/{post_id}").text
    assert "Your changes are saved." in page and "draft" not in page.split("flashes")[1][:300]


def test_edit_validation_keeps_input(alice, db):
    post_id = post_id_from(alice.create_post("Keep", "body"))
    response = alice.submit(
        f"/posts/{post_id}/edit", {"title": "", "content": "typed"}, page=f"/posts/{post_id}/edit"
    )
    assert response.status_code == 422 and "typed" in response.text
    assert get_post(db, post_id).title == "Keep"


def test_others_cannot_edit_or_delete(alice, bob, db):
    post_id = post_id_from(alice.create_post("Alice's", "mine"))
    assert bob.get(f"/posts/{post_id}/edit").status_code == 403
    assert bob.get(f"/posts/{post_id}/delete").status_code == 403
    forged = bob.submit(f"/posts/{post_id}/edit", {"title": "pwned", "content": "x"})
    assert forged.status_code == 403 and "Not allowed" in forged.text
    assert bob.submit(f"/posts/{post_id}/delete").status_code == 403
    post = get_post(db, post_id)
    assert post is not None and post.title == "Alice's"


def test_delete_asks_first_then_deletes(alice, db):
    post_id = post_id_from(alice.create_post("Doomed", "bye"))
    confirm = alice.get(f"/posts/{post_id}/delete")
    assert confirm.status_code == 200 and "Delete this post?" in confirm.text
    assert get_post(db, post_id) is not None  # GET changed nothing
    response = alice.submit(f"/posts/{post_id}/delete", page=f"/posts/{post_id}/delete")
    assert response.status_code == 303
    assert get_post(db, post_id) is None
    assert alice.get(f"/posts/{post_id}").status_code == 404
    assert "Doomed" not in alice.get("/").text


def test_profile_lists_published_posts_without_email(alice, make_browser):
    alice.create_post("Public one", "x")
    alice.create_post("Hidden one", "x", published=False)
    page = make_browser().get("/users/alice")
    assert page.status_code == 200
    assert "Public one" in page.text and "Hidden one" not in page.text
    assert "alice@example.com" not in page.text and "Joined" in page.text
    assert make_browser().get("/users/ALICE").status_code == 200
    assert make_browser().get("/users/nobody").status_code == 404


def test_titles_are_escaped(alice, make_browser):
    post_id = post_id_from(alice.create_post("<script>alert(1)</script>", "<b>bold</b>"))
    for page in (f"/posts/{post_id}", "/", "/users/alice"):
        html = make_browser().get(page).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
