"""Comments through the JSON API: the same services and rules as the pages."""

from sqlmodel import select

from app.models import AuditLog, Comment
from tests.conftest import get_post, set_role


def post_of(api, published: bool = True) -> int:  # type: ignore[no-untyped-def]
    return int(api.create_post("Talk", "about it", published=published)["id"])


def comment(api, post_id: int, content: str, parent_id: int | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    body: dict = {"content": content}  # type: ignore[type-arg]
    if parent_id is not None:
        body["parent_id"] = parent_id
    response = api.post(f"/api/posts/{post_id}/comments", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/comments/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


def test_write_reply_and_read_the_thread(alice_api, bob_api, api, db):
    post_id = post_of(alice_api)
    top = comment(bob_api, post_id, "first")
    reply = comment(alice_api, post_id, "a reply", top["id"])
    assert (top["depth"], reply["depth"], reply["parent_id"]) == (0, 1, top["id"])
    assert reply["author"]["username"] == "alice" and not reply["edited"]
    page = api.get(f"/api/posts/{post_id}/comments").json()
    assert [(c["id"], c["parent_id"], c["depth"]) for c in page["items"]] == [
        (top["id"], None, 0),
        (reply["id"], top["id"], 1),
    ]
    assert page["next_cursor"] is None
    assert get_post(db, post_id).comment_count == 2  # type: ignore[union-attr]
    assert api.get(f"/api/posts/{post_id}").json()["comment_count"] == 2
    listed = api.get("/api/posts").json()["items"]
    assert [(p["id"], p["comment_count"]) for p in listed] == [(post_id, 2)]


def test_threads_are_keyset_paginated_without_breaking_a_thread(alice_api, bob_api, api):
    post_id = post_of(alice_api)
    roots = [comment(bob_api, post_id, f"root {n}")["id"] for n in range(5)]
    reply = comment(alice_api, post_id, "under root 1", roots[1])["id"]
    seen: list[int] = []
    url = f"/api/posts/{post_id}/comments?limit=2"
    while url:
        page = api.get(url).json()
        seen += [c["id"] for c in page["items"]]
        url = page["next"]
    assert seen == [roots[0], roots[1], reply, *roots[2:]]
    bad = api.get(f"/api/posts/{post_id}/comments?cursor=bogus")
    assert bad.status_code == 422


def test_bad_input_is_refused_and_changes_nothing(alice_api, bob_api, db):
    post_id = post_of(alice_api)
    other = post_of(alice_api)
    elsewhere = comment(bob_api, other, "elsewhere")["id"]
    for body, status in (
        ({"content": ""}, 422),
        ({"content": "   "}, 422),
        ({"content": "x" * 10_001}, 422),
        ({"content": "ok", "parent_id": "1"}, 422),
        ({"content": "ok", "parent_id": 2**40}, 422),
        ({"content": "ok", "parent_id": elsewhere}, 422),
        ({"content": "ok", "parent_id": 999}, 422),
        ({"content": "ok", "author_id": 1}, 422),
    ):
        response = bob_api.post(f"/api/posts/{post_id}/comments", json=body)
        assert response.status_code == status, (body, response.text)
    db.expire_all()
    assert len(db.exec(select(Comment)).all()) == 1
    assert get_post(db, post_id).comment_count == 0  # type: ignore[union-attr]
    comment(bob_api, post_id, "twice")
    again = bob_api.post(f"/api/posts/{post_id}/comments", json={"content": "twice"})
    assert again.status_code == 409


def test_no_comments_on_drafts(alice_api, bob_api):
    draft = post_of(alice_api, published=False)
    assert alice_api.post(f"/api/posts/{draft}/comments", json={"content": "x"}).status_code == 409
    assert bob_api.post(f"/api/posts/{draft}/comments", json={"content": "x"}).status_code == 404
    assert bob_api.get(f"/api/posts/{draft}/comments").status_code == 404
    assert alice_api.get(f"/api/posts/{draft}/comments").json()["items"] == []


def test_edit_and_delete_by_the_author_only(alice_api, bob_api, api):
    post_id = post_of(alice_api)
    top = comment(bob_api, post_id, "mine")["id"]
    reply = comment(alice_api, post_id, "answer", top)["id"]
    assert alice_api.patch(f"/api/comments/{top}", json={"content": "hers"}).status_code == 403
    assert api.patch(f"/api/comments/{top}", json={"content": "x"}).status_code == 401
    edited = bob_api.patch(f"/api/comments/{top}", json={"content": "changed"})
    assert edited.status_code == 200 and edited.json()["edited"]
    assert alice_api.delete(f"/api/comments/{top}").status_code == 403
    assert bob_api.delete(f"/api/comments/{top}").status_code == 204
    items = api.get(f"/api/posts/{post_id}/comments").json()["items"]
    assert [(c["deleted"], c["author"], c["content"]) for c in items] == [
        (True, None, ""),
        (False, {"id": items[1]["author"]["id"], "username": "alice"}, "answer"),
    ]
    assert bob_api.delete(f"/api/comments/{top}").status_code == 404
    assert alice_api.delete(f"/api/comments/{reply}").status_code == 204
    assert api.get(f"/api/posts/{post_id}/comments").json()["items"] == []


def test_a_moderator_removes_with_a_reason_and_it_is_audited(alice_api, bob_api, make_api, db):
    post_id = post_of(alice_api)
    target = comment(bob_api, post_id, "rude")["id"]
    mod = make_api("mod")
    set_role(db, "mod", "moderator")
    assert mod.delete(f"/api/comments/{target}").status_code == 422
    assert mod.delete(f"/api/comments/{target}", params={"reason": "Be kind."}).status_code == 204
    db.expire_all()
    audit = db.exec(select(AuditLog).where(AuditLog.action == "comment.remove")).all()
    assert [(a.actor_name, a.target_id) for a in audit] == [("mod", target)]
    mine = bob_api.get(f"/api/posts/{post_id}/comments").json()["items"]
    assert mine[0]["removed_reason"] == "Be kind." and mine[0]["content"] == ""
    theirs = alice_api.get(f"/api/posts/{post_id}/comments").json()["items"]
    assert theirs[0]["removed_reason"] is None


def test_comment_votes(alice_api, bob_api):
    post_id = post_of(alice_api)
    target = comment(bob_api, post_id, "vote")["id"]
    assert bob_api.post(f"/api/comments/{target}/vote").status_code == 403
    voted = alice_api.post(f"/api/comments/{target}/vote")
    assert voted.status_code == 201 and voted.json() == {
        "comment_id": target,
        "voted": True,
        "vote_count": 1,
    }
    assert alice_api.post(f"/api/comments/{target}/vote").status_code == 409
    assert alice_api.delete(f"/api/comments/{target}/vote").status_code == 204
    assert alice_api.delete(f"/api/comments/{target}/vote").status_code == 404
    assert alice_api.post(f"/api/comments/{2**31}/vote").status_code == 422


def test_the_operations_are_documented(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert set(paths["/api/posts/{post_id}/comments"]) == {"get", "post"}
    assert set(paths["/api/comments/{comment_id}"]) == {"patch", "delete"}
    assert set(paths["/api/comments/{comment_id}/vote"]) == {"post", "delete"}
