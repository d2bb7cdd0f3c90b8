"""Moderating posts from the admin pages: find, unpublish, delete, in bulk, and the CSV."""

import json

import pytest
from sqlmodel import func, select

from app.models import AuditLog, Post
from tests.conftest import get_post, post_id_from
from tests.test_admin import csv_rows


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    """Post titles in the admin table, in order."""
    return [row.title for row in response.context["page"].items]


def audit_actions(db) -> list[tuple[str, str, int | None]]:  # type: ignore[no-untyped-def]
    db.expire_all()
    entries = db.exec(select(AuditLog).order_by(AuditLog.id)).all()
    return [(e.action, e.actor_name, e.target_id) for e in entries]


@pytest.fixture
def three_posts(alice, bob):  # type: ignore[no-untyped-def]
    ids = {
        "news": post_id_from(alice.create_post("Alice's news", "Big announcement")),
        "draft": post_id_from(alice.create_post("Alice's draft", "Secret", published=False)),
        "recipe": post_id_from(bob.create_post("Bob's recipe", "Bread and news")),
    }
    alice.submit(f"/posts/{ids['recipe']}/vote", page=f"/posts/{ids['recipe']}")
    return ids


def test_posts_list_shows_drafts_and_filters(moderator, three_posts):
    page = moderator.get("/admin/posts")
    assert titles(page) == ["Bob's recipe", "Alice's draft", "Alice's news"]
    assert f'<a href="/posts/{three_posts["draft"]}">' not in page.text  # drafts are not linked
    assert titles(moderator.get("/admin/posts?status=draft")) == ["Alice's draft"]
    assert titles(moderator.get("/admin/posts?status=published&author=ALICE")) == ["Alice's news"]
    # Search looks in titles and text.
    assert titles(moderator.get("/admin/posts?q=news")) == ["Bob's recipe", "Alice's news"]
    assert titles(moderator.get("/admin/posts?sort=votes&dir=desc"))[0] == "Bob's recipe"
    assert titles(moderator.get("/admin/posts?sort=title&dir=asc"))[0] == "Alice's draft"
    assert "No posts match" in moderator.get("/admin/posts?author=nobody").text
    assert moderator.get("/admin/posts?sort=content").status_code == 400


def test_unpublish_one_post(moderator, alice, three_posts, db):
    post_id = three_posts["news"]
    response = moderator.submit(
        "/admin/posts/apply",
        {"action": "unpublish", "ids": str(post_id), "next": "/admin/posts?author=alice"},
        page="/admin/posts",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/posts?author=alice"
    assert "1 post unpublished." in moderator.get("/admin/posts").text
    assert get_post(db, post_id).published is False
    assert "Alice's news" not in moderator.get("/").text
    # It is the author's draft now: she still sees it, nobody else does.
    assert alice.get(f"/posts/{post_id}").status_code == 200
    assert moderator.get(f"/posts/{post_id}").status_code == 404
    assert audit_actions(db) == [("post.unpublish", "mod", post_id)]
    entry = db.exec(select(AuditLog)).one()
    assert json.loads(entry.before) == {"published": True}
    assert json.loads(entry.after) == {"published": False}
    assert entry.target_label == "Alice's news"


def test_bulk_delete_goes_through_a_confirmation_page(moderator, three_posts, db):
    ids = [three_posts["news"], three_posts["recipe"]]
    query = "&".join(f"ids={i}" for i in ids)
    confirm = moderator.get(f"/admin/posts/confirm?action=delete&{query}&next=/admin/posts")
    assert confirm.status_code == 200
    assert "Delete 2 posts?" in confirm.text
    assert "the 1 vote on them will be deleted for good" in confirm.text
    assert "Alice&#39;s news" in confirm.text and "Bob&#39;s recipe" in confirm.text
    assert db.exec(select(func.count()).select_from(Post)).one() == 3  # nothing yet

    form = {"action": "delete", "ids": [str(i) for i in ids], "next": "/admin/posts"}
    response = moderator.client.post(
        "/admin/posts/apply", data={**form, "csrf_token": moderator.token("/admin/posts")}
    )
    assert response.status_code == 303
    assert "2 posts deleted." in moderator.get("/admin/posts").text
    db.expire_all()
    assert [p.title for p in db.exec(select(Post))] == ["Alice's draft"]
    assert sorted(audit_actions(db)) == sorted(
        [("post.delete", "mod", three_posts["news"]), ("post.delete", "mod", three_posts["recipe"])]
    )
    before = json.loads(db.exec(select(AuditLog).where(AuditLog.target_id == ids[1])).one().before)
    assert before["title"] == "Bob's recipe" and before["vote_count"] == 1


def test_bulk_unpublish_leaves_drafts_alone(admin, three_posts, db):
    ids = list(three_posts.values())
    confirm = admin.get(
        "/admin/posts/confirm?action=unpublish&" + "&".join(f"ids={i}" for i in ids)
    )
    assert "Unpublish 3 posts?" in confirm.text and "Drafts stay as they are" in confirm.text
    response = admin.client.post(
        "/admin/posts/apply",
        data={"action": "unpublish", "ids": [str(i) for i in ids], "csrf_token": admin.token()},
    )
    assert response.status_code == 303
    assert "2 posts unpublished." in admin.get("/admin/posts").text
    db.expire_all()
    assert db.exec(select(func.count()).where(Post.published)).one() == 0
    assert [a for a, _, _ in audit_actions(db)] == ["post.unpublish", "post.unpublish"]


def test_confirm_without_ticked_posts_goes_back(moderator, three_posts):
    response = moderator.get("/admin/posts/confirm?action=delete&next=/admin/posts?status=draft")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/posts?status=draft"
    assert "Tick at least one post first." in moderator.get("/admin/posts").text


@pytest.mark.parametrize(
    "query",
    [
        "action=delete&ids=abc",
        "action=delete&ids=0",
        f"action=delete&ids={2**63}",
        "action=burn&ids=1",
    ],
)
def test_confirm_refuses_bad_input(moderator, three_posts, query):
    assert moderator.get(f"/admin/posts/confirm?{query}").status_code == 400


def test_apply_refuses_bad_input_and_changes_nothing(moderator, three_posts, db):
    token = moderator.token("/admin/posts")
    for data in (
        {"action": "burn", "ids": str(three_posts["news"])},
        {"action": "delete", "ids": "x"},
        {"action": "delete"},
        {"action": "delete", "ids": [str(three_posts["news"])] * 201},
    ):
        response = moderator.client.post("/admin/posts/apply", data={**data, "csrf_token": token})
        assert response.status_code == 400, data
    assert db.exec(select(func.count()).select_from(Post)).one() == 3
    assert audit_actions(db) == []


def test_apply_skips_posts_that_are_gone_and_never_redirects_off_site(moderator, three_posts, db):
    response = moderator.client.post(
        "/admin/posts/apply",
        data={
            "action": "delete",
            "ids": [str(three_posts["news"]), "999"],
            "next": "https://evil.example/",
            "csrf_token": moderator.token("/admin/posts"),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/posts"
    assert "1 post deleted." in moderator.get("/admin/posts").text


def test_moderation_needs_csrf(moderator, three_posts, db):
    data = {"action": "delete", "ids": str(three_posts["news"])}
    assert moderator.client.post("/admin/posts/apply", data=data).status_code == 403
    cross = moderator.client.post(
        "/admin/posts/apply",
        data={**data, "csrf_token": moderator.token()},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert get_post(db, three_posts["news"]) is not None


def test_moderator_deleting_from_the_post_page_is_audited(moderator, alice, three_posts, db):
    post_id = three_posts["recipe"]
    assert moderator.get(f"/posts/{post_id}/delete").status_code == 200
    response = moderator.submit(f"/posts/{post_id}/delete", page=f"/posts/{post_id}")
    assert response.status_code == 303 and get_post(db, post_id) is None
    assert audit_actions(db) == [("post.delete", "mod", post_id)]
    # An author deleting their own post is not moderation, so it is not in the log.
    alice.submit(f"/posts/{three_posts['news']}/delete", page="/")
    assert len(audit_actions(db)) == 1


def test_posts_csv_holds_exactly_the_filtered_rows(admin, alice, three_posts):
    alice.create_post('=HYPERLINK("https://evil.example")', "click")
    alice.create_post("-5 reasons", "list")
    alice.create_post("@mention", "hi")
    alice.create_post("+1 to that", "agree")
    rows = csv_rows(admin.get("/admin/posts.csv?author=alice&sort=created&dir=asc"))
    assert rows[0] == ["id", "title", "author", "status", "votes", "created"]
    assert [r[1] for r in rows[1:]] == [
        "Alice's news",
        "Alice's draft",
        '\'=HYPERLINK("https://evil.example")',
        "'-5 reasons",
        "'@mention",
        "'+1 to that",
    ]
    assert [r[3] for r in rows[1:3]] == ["published", "draft"]
    drafts = csv_rows(admin.get("/admin/posts.csv?status=draft"))
    assert [r[1] for r in drafts[1:]] == ["Alice's draft"]
    page = admin.get("/admin/posts?status=draft&q=secret").text
    assert 'href="/admin/posts.csv?q=secret&amp;status=draft&amp;sort=created&amp;dir=desc"' in page
    assert [r[1] for r in csv_rows(admin.get("/admin/posts.csv?status=draft&q=secret"))[1:]] == [
        "Alice's draft"
    ]
