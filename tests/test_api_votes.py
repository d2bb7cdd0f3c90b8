"""Votes over the JSON API: one per person per post."""

import pytest

from tests.conftest import get_post


def test_vote_is_201_then_409(alice_api, bob_api, make_api, db):
    post = alice_api.create_post()
    response = bob_api.post(f"/api/posts/{post['id']}/vote")
    assert response.status_code == 201
    assert response.json() == {"post_id": post["id"], "voted": True, "vote_count": 1}
    again = bob_api.post(f"/api/posts/{post['id']}/vote")
    assert again.status_code == 409
    assert again.json() == {"detail": "You have already voted for this post."}
    assert get_post(db, post["id"]).vote_count == 1
    carol_api = make_api("carol")
    assert carol_api.post(f"/api/posts/{post['id']}/vote").json()["vote_count"] == 2


def test_withdraw_is_204_then_404(alice_api, bob_api, db):
    post = alice_api.create_post()
    bob_api.post(f"/api/posts/{post['id']}/vote")
    response = bob_api.delete(f"/api/posts/{post['id']}/vote")
    assert response.status_code == 204
    assert response.content == b""
    assert get_post(db, post["id"]).vote_count == 0
    again = bob_api.delete(f"/api/posts/{post['id']}/vote")
    assert again.status_code == 404
    assert again.json() == {"detail": "You have not voted for this post."}
    assert get_post(db, post["id"]).vote_count == 0


def test_the_vote_count_shows_in_the_post(alice_api, bob_api, api):
    post = alice_api.create_post()
    bob_api.post(f"/api/posts/{post['id']}/vote")
    assert api.get(f"/api/posts/{post['id']}").json()["vote_count"] == 1


@pytest.mark.parametrize("method", ["post", "delete"])
def test_voting_needs_a_token(alice_api, api, db, method):
    post = alice_api.create_post()
    response = getattr(api, method)(f"/api/posts/{post['id']}/vote")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert get_post(db, post["id"]).vote_count == 0


@pytest.mark.parametrize("method", ["post", "delete"])
def test_missing_posts_and_others_drafts_are_404(alice_api, bob_api, db, method):
    draft = alice_api.create_post("Draft", published=False)
    for post_id in (draft["id"], 12345):
        response = getattr(bob_api, method)(f"/api/posts/{post_id}/vote")
        assert response.status_code == 404
    assert get_post(db, draft["id"]).vote_count == 0


@pytest.mark.parametrize("post_id", ["0", str(2**63), "x"])
def test_vote_post_id_is_bounded(bob_api, post_id):
    assert bob_api.post(f"/api/posts/{post_id}/vote").status_code == 422


def test_votes_from_the_page_and_the_api_are_the_same_vote(alice_api, bob, make_api, db):
    """bob votes on the page, then tries again through the API: still one vote."""
    post = alice_api.create_post()
    bob.submit(f"/posts/{post['id']}/vote", page=f"/posts/{post['id']}")
    bob_api = make_api().log_in("bob")
    assert bob_api.post(f"/api/posts/{post['id']}/vote").status_code == 409
    assert get_post(db, post["id"]).vote_count == 1


@pytest.mark.parametrize("method", ["post", "delete"])
def test_hole_11_nobody_votes_for_their_own_post(alice_api, db, method):
    post = alice_api.create_post()
    response = getattr(alice_api, method)(f"/api/posts/{post['id']}/vote")
    assert response.status_code == 403
    assert response.json() == {"detail": "You cannot vote for your own post."}
    assert get_post(db, post["id"]).vote_count == 0
