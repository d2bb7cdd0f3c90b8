"""One rule for an unavailable (deactivated) account, on every surface: it is gone from view.

Its profile and follower lists answer 404, its posts answer 404 and leave every feed, search and
count, and it is in nobody's list of people. Reactivating brings all of it back as it was.
"""

import pytest

from tests.conftest import get_user, post_id_from


def set_active(db, username: str, active: bool) -> None:  # type: ignore[no-untyped-def]
    user = get_user(db, username)
    user.is_active = active
    db.add(user)
    db.commit()


@pytest.fixture
def scene(alice, bob, db):  # type: ignore[no-untyped-def]
    """bob writes a post and follows alice; alice follows bob; then bob is deactivated."""
    post_id = post_id_from(bob.create_post("Gardening notes from bob", "Tomatoes and basil"))
    alice.create_post("Alice on gardening", "Roses")
    bob.submit("/users/alice/follow", page="/users/alice")
    alice.submit("/users/bob/follow", page="/users/bob")
    set_active(db, "bob", False)
    return post_id


def test_an_unavailable_accounts_pages_are_404(scene, alice, make_api):  # type: ignore[no-untyped-def]
    api = make_api()
    for path in ("/users/bob", "/users/bob/followers", "/users/bob/following"):
        assert alice.get(path).status_code == 404, path
    assert alice.get(f"/posts/{scene}").status_code == 404
    assert api.get("/api/users/bob").status_code == 404
    assert api.get(f"/api/posts/{scene}").status_code == 404
    # ...and nobody can follow or vote on what is not there.
    assert alice.submit("/users/bob/unfollow", page="/").status_code == 404
    assert alice.submit(f"/posts/{scene}/vote", page="/").status_code == 404


def test_an_unavailable_accounts_posts_leave_every_list(scene, alice, make_api):  # type: ignore[no-untyped-def]
    api = make_api()
    surfaces = {
        "latest": alice.get("/").text,
        "top": alice.get("/top").text,
        "following": alice.get("/following").text,
        "search": alice.get("/search?q=gardening").text,
        "api list": api.get("/api/posts").text,
        "api search": api.get("/api/posts?search=gardening").text,
        "api author": api.get("/api/posts?author=bob").text,
        "api feed": make_api().log_in("alice").get("/api/feed").text,
    }
    for name, body in surfaces.items():
        assert "notes from bob" not in body, name
    # The same lists still show everyone else.
    assert "Alice on" in surfaces["latest"]
    assert "Alice on" in surfaces["search"]
    assert "Alice on" in surfaces["api search"]


def test_an_unavailable_account_is_in_no_list_of_people(scene, alice, db):  # type: ignore[no-untyped-def]
    assert "/users/bob" not in alice.get("/users/alice/followers").text
    assert "/users/bob" not in alice.get("/users/alice/following").text
    assert "/users/bob" not in alice.get("/search?q=bob").text
    profile = alice.get("/users/alice")
    stats = profile.context["stats"]
    assert (stats.followers, stats.following) == (0, 0)


def test_reactivating_brings_everything_back(scene, alice, db, make_api):  # type: ignore[no-untyped-def]
    set_active(db, "bob", True)
    assert alice.get("/users/bob").status_code == 200
    assert alice.get(f"/posts/{scene}").status_code == 200
    assert "notes from bob" in alice.get("/").text
    assert "notes from bob" in alice.get("/search?q=gardening").text
    assert "notes from bob" in make_api().get("/api/posts").text
    stats = alice.get("/users/alice").context["stats"]
    assert (stats.followers, stats.following) == (1, 1)
