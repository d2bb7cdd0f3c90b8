"""Mutes and blocks in the JSON API: the routes, and every listing honouring them as pages do."""

import pytest
from sqlmodel import select

from app.models import Block, Follow

KINDS = ("mute", "block")


@pytest.fixture
def bobs_post(bob_api) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = bob_api.post(
        "/api/posts",
        json={
            "title": "Bob grows tomatoes",
            "content": "Tomatoes need sun.",
            "published": True,
            "tags": ["garden"],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


LISTINGS = [
    "/api/posts",
    "/api/feed",
    "/api/posts?search=tomatoes",
    "/api/posts?search=tag:garden",
    "/api/tags/garden/posts",
    "/api/posts?author=bob",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("url", LISTINGS)
def test_every_listing_leaves_them_out_until_undone(alice_api, bob_api, bobs_post, kind, url):
    alice_api.post("/api/users/bob/follow")
    assert bobs_post["id"] in ids(alice_api.get(url))
    response = alice_api.post(f"/api/users/bob/{kind}")
    assert response.status_code == 200
    assert response.json() == {"username": "bob", "muted": True, "blocked": kind == "block"}
    assert bobs_post["id"] not in ids(alice_api.get(url))
    assert alice_api.delete(f"/api/users/bob/{kind}").status_code == 204
    if kind == "block" and url == "/api/feed":
        alice_api.post("/api/users/bob/follow")  # the block ended the follow
    assert bobs_post["id"] in ids(alice_api.get(url))


@pytest.mark.parametrize("kind", KINDS)
def test_a_listings_etag_changes_with_a_mute_or_block(alice_api, bob_api, bobs_post, kind):
    first = alice_api.get("/api/posts")
    tag = first.headers["ETag"]
    assert alice_api.get("/api/posts", headers={"If-None-Match": tag}).status_code == 304
    alice_api.post(f"/api/users/bob/{kind}")
    again = alice_api.get("/api/posts", headers={"If-None-Match": tag})
    assert again.status_code == 200 and bobs_post["id"] not in ids(again)


def test_the_blockers_posts_answer_404_and_leave_the_blocked_viewers_listings(
    alice_api, bob_api, api, bobs_post
):
    assert bob_api.post("/api/users/alice/block").status_code == 200
    assert alice_api.get(f"/api/posts/{bobs_post['id']}").status_code == 404
    assert bobs_post["id"] not in ids(alice_api.get("/api/posts"))
    assert bobs_post["id"] not in ids(alice_api.get("/api/posts?search=tomatoes"))
    assert api.get(f"/api/posts/{bobs_post['id']}").status_code == 200
    response = alice_api.post(
        f"/api/posts/{bobs_post['id']}/comments", json={"content": "Let me in"}
    )
    assert response.status_code == 404


def test_comments_fold_and_leave_comment_search(alice_api, bob_api, make_api):
    carol = make_api("carol")
    post = carol.create_post("Carol's plot", "Beans.")
    made = bob_api.post(f"/api/posts/{post['id']}/comments", json={"content": "Plant marigolds"})
    assert made.status_code == 201, made.text
    url = f"/api/posts/{post['id']}/comments"
    tag = alice_api.get(url).headers["ETag"]
    assert [c["folded"] for c in alice_api.get(url).json()["items"]] == [False]
    assert ids(alice_api.get("/api/comments?search=marigolds")) == [made.json()["id"]]
    alice_api.post("/api/users/bob/mute")
    listed = alice_api.get(url, headers={"If-None-Match": tag})
    assert listed.status_code == 200
    assert [c["folded"] for c in listed.json()["items"]] == [True]
    assert [c["folded"] for c in carol.get(url).json()["items"]] == [False]
    assert ids(alice_api.get("/api/comments?search=marigolds")) == []
    assert ids(carol.get("/api/comments?search=marigolds")) == [made.json()["id"]]


def test_a_blocked_person_cannot_reply_to_the_blockers_comment(alice_api, bob_api, make_api):
    carol = make_api("carol")
    post = carol.create_post("Carol's plot", "Beans.")
    mine = alice_api.post(f"/api/posts/{post['id']}/comments", json={"content": "Mornings."})
    alice_api.post("/api/users/bob/block")
    response = bob_api.post(
        f"/api/posts/{post['id']}/comments",
        json={"content": "Nights!", "parent_id": mine.json()["id"]},
    )
    assert response.status_code == 403 and response.json()["detail"] == "You can't reply here."
    assert len(carol.get(f"/api/posts/{post['id']}/comments").json()["items"]) == 1


def test_a_block_ends_follows_and_refuses_them(alice_api, bob_api, db):
    alice_api.post("/api/users/bob/follow")
    bob_api.post("/api/users/alice/follow")
    alice_api.post("/api/users/bob/block")
    db.expire_all()
    assert db.exec(select(Follow)).all() == []
    response = bob_api.post("/api/users/alice/follow")
    assert response.status_code == 400 and response.json()["detail"] == (
        "You can't follow this account."
    )


def test_no_notifications_from_them(alice_api, bob_api):
    post = alice_api.create_post("Alice's plot", "Beans.")
    bob_api.post(f"/api/posts/{post['id']}/comments", json={"content": "One"})
    assert [
        n["read_at"] is not None for n in alice_api.get("/api/notifications").json()["items"]
    ] == [False]
    alice_api.post("/api/users/bob/mute")
    assert [
        n["read_at"] is not None for n in alice_api.get("/api/notifications").json()["items"]
    ] == [True]
    bob_api.post(f"/api/posts/{post['id']}/comments", json={"content": "Two, @alice"})
    assert len(alice_api.get("/api/notifications").json()["items"]) == 1


def test_the_routes_refuse_self_unknown_and_anonymous(alice_api, api, db):
    for kind in KINDS:
        response = alice_api.post(f"/api/users/alice/{kind}")
        assert response.status_code == 400
        assert response.json()["detail"] == f"You cannot {kind} yourself."
        assert alice_api.post(f"/api/users/nobody/{kind}").status_code == 404
        assert alice_api.delete(f"/api/users/nobody/{kind}").status_code == 404
        assert api.post(f"/api/users/alice/{kind}").status_code == 401
        assert api.delete(f"/api/users/alice/{kind}").status_code == 401
    assert db.exec(select(Block)).all() == []


def test_asking_twice_is_fine_and_a_mute_does_not_undo_a_block(alice_api, bob_api, db):
    assert alice_api.post("/api/users/bob/block").json()["blocked"] is True
    assert alice_api.post("/api/users/bob/block").json()["blocked"] is True
    assert alice_api.post("/api/users/bob/mute").json() == {
        "username": "bob",
        "muted": True,
        "blocked": True,
    }
    assert alice_api.delete("/api/users/bob/mute").status_code == 204  # a block stays
    assert alice_api.post("/api/users/bob/follow").status_code == 400
    assert alice_api.delete("/api/users/bob/block").status_code == 204
    assert alice_api.delete("/api/users/bob/block").status_code == 204
    db.expire_all()
    assert db.exec(select(Block)).all() == []
