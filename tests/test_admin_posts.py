"""Moderating posts from the admin pages: find, hide, restore, delete, in bulk, and the CSV."""

import json

import pytest
from sqlmodel import func, select

from app.models import AuditLog, Post
from tests.conftest import get_post, get_user, post_id_from
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


def hide(moderator, post_ids, reason="Spam, plainly", next="/admin/posts"):  # type: ignore[no-untyped-def]
    return moderator.submit(
        "/admin/posts/apply",
        {"action": "hide", "ids": [str(i) for i in post_ids], "reason": reason, "next": next},
        page="/admin/posts",
    )


def test_posts_list_shows_public_posts_and_filters(moderator, three_posts):
    page = moderator.get("/admin/posts")
    assert titles(page) == ["Bob's recipe", "Alice's news"]
    assert titles(moderator.get("/admin/posts?status=published&author=ALICE")) == ["Alice's news"]
    # Search looks in titles and text.
    assert titles(moderator.get("/admin/posts?q=news")) == ["Bob's recipe", "Alice's news"]
    assert titles(moderator.get("/admin/posts?sort=votes&dir=desc"))[0] == "Bob's recipe"
    assert titles(moderator.get("/admin/posts?sort=title&dir=asc"))[0] == "Alice's news"
    assert "No posts match" in moderator.get("/admin/posts?author=nobody").text
    assert moderator.get("/admin/posts?sort=content").status_code == 400


def test_hole_04_moderators_never_see_drafts(moderator, admin, three_posts, make_api, db):
    """Drafts are private to their author: no list, search, CSV, confirm page or API shows a
    moderator or admin a draft's title, or that it exists."""
    draft = three_posts["draft"]
    for staff in (moderator, admin):
        assert "Alice&#39;s draft" not in staff.get("/admin/posts").text
        assert staff.get("/admin/posts?status=draft").status_code == 400
        # Draft text is not searchable letter by letter.
        assert titles(staff.get("/admin/posts?q=secret")) == []
        assert "Alice's draft" not in staff.get("/admin/posts.csv").text
        confirm = staff.get(f"/admin/posts/confirm?action=delete&ids={draft}")
        assert confirm.status_code == 303  # as if nothing was ticked
        assert staff.get(f"/posts/{draft}/delete").status_code == 404
        assert staff.get(f"/posts/{draft}").status_code == 404
    profile = admin.get(f"/admin/users/{get_user(db, 'alice').id}").text
    assert "Alice&#39;s news" in profile and "Alice&#39;s draft" not in profile
    mod_api = make_api().log_in("mod")
    gone = mod_api.delete(f"/api/posts/{draft}")
    assert gone.status_code == 404
    assert gone.json() == mod_api.delete("/api/posts/99999").json()


def test_hole_04_deleting_drafts_in_bulk_does_nothing(moderator, three_posts, db):
    response = moderator.submit(
        "/admin/posts/apply",
        {"action": "delete", "ids": [str(three_posts["draft"])]},
        page="/admin/posts",
    )
    assert response.status_code == 303
    assert "0 posts deleted." in moderator.get("/admin/posts").text
    assert get_post(db, three_posts["draft"]) is not None
    assert audit_actions(db) == []


def test_hide_one_post(moderator, alice, three_posts, db):
    post_id = three_posts["news"]
    response = hide(moderator, [post_id], next="/admin/posts?author=alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/posts?author=alice"
    assert "1 post hidden." in moderator.get("/admin/posts").text
    stored = get_post(db, post_id)
    assert stored.published is False and stored.hidden_reason == "Spam, plainly"
    assert "Alice&#39;s news" not in moderator.get("/").text
    # Its author still sees it, marked, with the reason; nobody else does.
    page = alice.get(f"/posts/{post_id}").text
    assert "Hidden by a moderator" in page and "Spam, plainly" in page
    assert moderator.get(f"/posts/{post_id}").status_code == 404
    # ...and in her own list of posts it says so, not "Draft".
    mine = alice.get("/account/posts?status=draft").text
    assert "Alice&#39;s news" in mine and "Hidden by a moderator" in mine
    # Moderators find it in the list, to restore it.
    listed = moderator.get("/admin/posts?status=hidden")
    assert titles(listed) == ["Alice's news"] and "Spam, plainly" in listed.text
    assert audit_actions(db) == [("post.hide", "mod", post_id)]
    entry = db.exec(select(AuditLog)).one()
    assert json.loads(entry.before) == {"status": "published"}
    assert json.loads(entry.after) == {"status": "hidden", "reason": "Spam, plainly"}
    assert entry.target_label == "Alice's news"


def test_hiding_needs_a_reason_and_changes_nothing_without_one(moderator, three_posts, db):
    response = hide(moderator, [three_posts["news"]], reason="   ")
    assert response.status_code == 422
    assert "Say why, in a few words" in response.text
    assert get_post(db, three_posts["news"]).published is True
    assert audit_actions(db) == []


def test_hole_05_the_author_cannot_republish_a_hidden_post(moderator, alice, three_posts, db):
    post_id = three_posts["news"]
    hide(moderator, [post_id])
    form = alice.get(f"/posts/{post_id}/edit").text
    assert 'name="published"' not in form and "A moderator hid this post" in form
    # Ticking "Publish now" by hand is refused, and changes nothing.
    forged = alice.submit(
        f"/posts/{post_id}/edit",
        {"title": "Alice's news", "content": "Back!", "published": "1"},
        page=f"/posts/{post_id}/edit",
    )
    assert forged.status_code == 409
    assert "cannot be published again" in forged.text
    stored = get_post(db, post_id)
    assert stored.published is False and stored.content == "Big announcement"
    # Editing without publishing works, and the post stays hidden.
    saved = alice.submit(
        f"/posts/{post_id}/edit",
        {"title": "Alice's news", "content": "Toned down"},
        page=f"/posts/{post_id}/edit",
    )
    assert saved.status_code == 303
    stored = get_post(db, post_id)
    assert stored.content == "Toned down" and stored.hidden_at is not None
    # ...and she may delete it.
    alice.submit(f"/posts/{post_id}/delete", page=f"/posts/{post_id}")
    assert get_post(db, post_id) is None


def test_hole_05_the_api_shows_hidden_and_refuses_republishing(
    moderator, three_posts, make_api, db
):
    post_id = three_posts["news"]
    hide(moderator, [post_id])
    alice_api = make_api().log_in("alice")
    mine = alice_api.get(f"/api/posts/{post_id}").json()
    assert mine["status"] == "hidden" and mine["hidden_reason"] == "Spam, plainly"
    assert mine["published"] is False
    response = alice_api.patch(f"/api/posts/{post_id}", json={"published": True})
    assert response.status_code == 409
    assert "cannot be published again" in response.json()["detail"]
    replaced = alice_api.put(
        f"/api/posts/{post_id}", json={"title": "T", "content": "C", "published": True}
    )
    assert replaced.status_code == 409
    assert get_post(db, post_id).published is False
    assert alice_api.patch(f"/api/posts/{post_id}", json={"title": "Edited"}).status_code == 200
    assert make_api().get(f"/api/posts/{post_id}").status_code == 404
    listed = make_api().get("/api/posts").json()["items"]
    assert post_id not in [p["id"] for p in listed]
    assert all(p["status"] == "published" for p in listed)


def test_hole_05_moderators_restore_hidden_posts(moderator, alice, three_posts, db):
    post_id = three_posts["news"]
    hide(moderator, [post_id])
    response = moderator.submit(f"/admin/posts/{post_id}/restore", page="/admin/posts")
    assert response.status_code == 303
    assert "The post is restored" in moderator.get("/admin/posts").text
    stored = get_post(db, post_id)
    assert stored.published is True and stored.hidden_at is None and stored.hidden_reason is None
    assert "Alice&#39;s news" in moderator.get("/").text
    assert [a for a, _, _ in audit_actions(db)] == ["post.hide", "post.restore"]
    # Restoring what is not hidden: a public post is a conflict, a draft does not exist.
    again = moderator.submit(f"/admin/posts/{post_id}/restore", page="/admin/posts")
    assert again.status_code == 409
    draft = moderator.submit(f"/admin/posts/{three_posts['draft']}/restore", page="/admin/posts")
    assert draft.status_code == 404
    assert len(audit_actions(db)) == 2
    # Plain members cannot restore.
    hide(moderator, [post_id])
    assert alice.submit(f"/admin/posts/{post_id}/restore", page="/").status_code == 403


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


def test_bulk_hide_leaves_hidden_posts_alone(admin, three_posts, db):
    ids = [three_posts["news"], three_posts["recipe"]]
    hide(admin, ids[:1])
    confirm = admin.get("/admin/posts/confirm?action=hide&" + "&".join(f"ids={i}" for i in ids))
    assert (
        "Hide 2 posts?" in confirm.text and "Posts already hidden stay as they are" in confirm.text
    )
    response = hide(admin, ids, reason="Off topic")
    assert response.status_code == 303
    assert "1 post hidden." in admin.get("/admin/posts").text
    db.expire_all()
    assert db.exec(select(func.count()).where(Post.published)).one() == 0
    assert [a for a, _, _ in audit_actions(db)] == ["post.hide", "post.hide"]
    assert get_post(db, ids[0]).hidden_reason == "Spam, plainly"


def test_confirm_without_ticked_posts_goes_back(moderator, three_posts):
    response = moderator.get("/admin/posts/confirm?action=delete&next=/admin/posts?status=hidden")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/posts?status=hidden"
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
        assert "nothing was changed" in response.text, data
        assert "Input should" not in response.text and "ids" not in response.text.split("<main")[1]
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
    hide(admin, [three_posts["news"]], reason="Spam")
    rows = csv_rows(admin.get("/admin/posts.csv?author=alice&sort=created&dir=asc"))
    assert rows[0] == ["id", "title", "author", "status", "votes", "created"]
    assert [r[1] for r in rows[1:]] == [
        "Alice's news",
        '\'=HYPERLINK("https://evil.example")',
        "'-5 reasons",
        "'@mention",
        "'+1 to that",
    ]
    assert [r[3] for r in rows[1:3]] == ["hidden", "published"]
    hidden = csv_rows(admin.get("/admin/posts.csv?status=hidden"))
    assert [r[1] for r in hidden[1:]] == ["Alice's news"]
    page = admin.get("/admin/posts?status=hidden&q=announce").text
    assert (
        'href="/admin/posts.csv?q=announce&amp;status=hidden&amp;sort=created&amp;dir=desc"' in page
    )
    assert [r[1] for r in csv_rows(admin.get("/admin/posts.csv?status=hidden&q=announce"))[1:]] == [
        "Alice's news"
    ]
