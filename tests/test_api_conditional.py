"""Change counters and conditional requests: every write moves the validators of what it
changes; If-None-Match answers 304 without a listing query; If-Match guards edits (412)."""

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import ChangeCounter
from app.services import admin, changes, comments, posts, profile, users
from tests.conftest import PASSWORD, Api, get_user, set_role
from tests.test_query_count import count_statements


def validator(client: Api, url: str) -> tuple[int, str | None]:
    response = client.get(url)
    return response.status_code, response.headers.get("etag")


class World:
    """alice's post with bob's comment, carol following alice; the validators of each view."""

    def __init__(self, make_api: Callable[..., Api], db: Session, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self.alice, self.bob, self.carol = (make_api(n) for n in ("alice", "bob", "carol"))
        self.post = self.alice.create_post()["id"]
        self.other = self.bob.create_post(title="Elsewhere")["id"]
        self.comment = self.bob.post(
            f"/api/posts/{self.post}/comments", json={"content": "Nice"}
        ).json()["id"]
        assert self.carol.post("/api/users/alice/follow").status_code == 200
        self.mod = get_user(db, "carol")
        set_role(db, "carol", "admin")

    def validators(self) -> dict[str, tuple[int, str | None]]:
        return {
            "latest": validator(self.carol, "/api/posts"),
            "post": validator(self.carol, f"/api/posts/{self.post}"),
            "other post": validator(self.carol, f"/api/posts/{self.other}"),
            "thread": validator(self.carol, f"/api/posts/{self.post}/comments"),
            "feed": validator(self.carol, "/api/feed"),
            "alice": validator(self.carol, "/api/users/alice"),
            "alice's account": validator(self.alice, "/api/users/me"),
        }

    def user(self, name: str):  # type: ignore[no-untyped-def]
        return get_user(self.db, name)

    def fresh_post(self):  # type: ignore[no-untyped-def]
        self.db.expire_all()
        return self.db.get(posts.Post, self.post)

    def fresh_comment(self):  # type: ignore[no-untyped-def]
        self.db.expire_all()
        return self.db.get(comments.Comment, self.comment)


@pytest.fixture
def world(make_api, db: Session, settings: Settings) -> World:  # type: ignore[no-untyped-def]
    return World(make_api, db, settings)


def rename(w: World) -> None:
    profile.change_identity(
        session=w.db,
        settings=w.settings,
        user=w.user("alice"),
        username="alicia",
        email="alice@example.com",
        password=PASSWORD,
        ip="192.0.2.1",
    )


def nothing(w: World) -> None:
    return None


# Each write (after its set-up), and the views it must change (others may change too).
WRITES: list[tuple[str, Callable[[World], object], Callable[[World], object], set[str]]] = [
    ("new post", nothing, lambda w: w.alice.create_post(title="Another"), {"latest", "feed"}),
    (
        "edit (PATCH)",
        nothing,
        lambda w: w.alice.patch(f"/api/posts/{w.post}", json={"title": "New title"}),
        {"latest", "post", "feed"},
    ),
    (
        "edit (PUT)",
        nothing,
        lambda w: w.alice.put(
            f"/api/posts/{w.post}", json={"title": "T", "content": "C", "published": True}
        ),
        {"latest", "post", "feed"},
    ),
    (
        "vote",
        nothing,
        lambda w: w.bob.post(f"/api/posts/{w.post}/vote"),
        {"latest", "post", "feed"},
    ),
    (
        "unvote",
        lambda w: w.bob.post(f"/api/posts/{w.post}/vote"),
        lambda w: w.bob.delete(f"/api/posts/{w.post}/vote"),
        {"latest", "post", "feed"},
    ),
    (
        "comment",
        nothing,
        lambda w: w.bob.post(f"/api/posts/{w.post}/comments", json={"content": "More"}),
        {"latest", "post", "thread", "feed"},
    ),
    (
        "edit comment",
        nothing,
        lambda w: w.bob.patch(f"/api/comments/{w.comment}", json={"content": "Nicer"}),
        {"thread"},
    ),
    (
        "vote comment",
        nothing,
        lambda w: w.alice.post(f"/api/comments/{w.comment}/vote"),
        {"thread"},
    ),
    (
        "unvote comment",
        lambda w: w.alice.post(f"/api/comments/{w.comment}/vote"),
        lambda w: w.alice.delete(f"/api/comments/{w.comment}/vote"),
        {"thread"},
    ),
    (
        "delete comment",
        nothing,
        lambda w: w.bob.delete(f"/api/comments/{w.comment}"),
        {"latest", "post", "thread"},
    ),
    (
        "remove comment",
        nothing,
        lambda w: comments.remove(
            session=w.db, comment=w.fresh_comment(), actor=w.user("carol"), reason="Off topic"
        ),
        {"latest", "post", "thread"},
    ),
    (
        "hide",
        nothing,
        lambda w: posts.hide(session=w.db, post=w.fresh_post(), actor=w.user("carol"), reason="x"),
        {"latest", "post", "feed"},
    ),
    (
        "restore",
        lambda w: posts.hide(session=w.db, post=w.fresh_post(), actor=w.user("carol"), reason="x"),
        lambda w: posts.restore(session=w.db, post=w.fresh_post(), actor=w.user("carol")),
        {"latest", "post", "feed"},
    ),
    (
        "deactivate the author",
        nothing,
        lambda w: admin.suspend(session=w.db, actor=w.user("carol"), user=w.user("alice")),
        {"latest", "post", "feed", "alice"},
    ),
    (
        "reactivate the author",
        lambda w: admin.suspend(session=w.db, actor=w.user("carol"), user=w.user("alice")),
        lambda w: admin.lift(session=w.db, actor=w.user("carol"), user=w.user("alice")),
        {"latest", "post", "feed", "alice"},
    ),
    (
        "deactivate a commenter",
        nothing,
        lambda w: admin.suspend(session=w.db, actor=w.user("carol"), user=w.user("bob")),
        {"thread"},
    ),
    (
        "role",
        nothing,
        lambda w: admin.set_role(
            session=w.db, actor=w.user("carol"), user=w.user("alice"), role="moderator"
        ),
        {"alice's account"},
    ),
    ("unfollow", nothing, lambda w: w.carol.delete("/api/users/alice/follow"), {"feed"}),
    (
        "follow",
        lambda w: w.carol.delete("/api/users/alice/follow"),
        lambda w: w.carol.post("/api/users/alice/follow"),
        {"feed"},
    ),
    ("rename", nothing, rename, {"latest", "post", "feed", "thread", "alice's account"}),
    (
        "a voter's and commenter's account deleted",
        lambda w: w.bob.post(f"/api/posts/{w.post}/vote"),
        lambda w: users.remove(session=w.db, user=w.user("bob")),
        {"latest", "post", "thread", "other post"},
    ),
    (
        "delete post",
        nothing,
        lambda w: w.alice.delete(f"/api/posts/{w.post}"),
        {"latest", "post", "feed"},
    ),
]


@pytest.mark.parametrize("name, setup, write, changed", WRITES, ids=[w[0] for w in WRITES])
def test_every_write_changes_the_validators_of_what_it_shows(
    world: World,
    name: str,
    setup: Callable[[World], object],
    write: Callable[[World], object],
    changed: set[str],
) -> None:
    setup(world)
    before = world.validators()
    result = write(world)
    if hasattr(result, "status_code"):
        assert result.status_code < 300, result.text
    after = world.validators()
    moved = {view for view in before if before[view] != after[view]}
    assert changed <= moved, f"{name}: {changed - moved} kept their validator"
    assert after == world.validators(), "unchanged content keeps its validator"


def test_every_view_has_a_validator(world: World) -> None:
    assert all(status == 200 and tag for status, tag in world.validators().values())


def test_a_write_elsewhere_keeps_a_post_validator(world: World) -> None:
    before = world.validators()
    world.bob.post(f"/api/posts/{world.other}/comments", json={"content": "Mine"})
    world.alice.post(f"/api/posts/{world.other}/vote")
    after = world.validators()
    assert after["post"] == before["post"]
    assert after["latest"] != before["latest"]


def test_if_none_match_answers_304_without_a_listing_query(app, world: World) -> None:  # type: ignore[no-untyped-def]
    # Each listing, and the table its rows come from (the post's access check may still run).
    for url, rows in [
        ("/api/posts?limit=5", "from post"),
        (f"/api/posts/{world.post}/comments", "from comment"),
        ("/api/feed", "from post"),
    ]:
        first = world.carol.get(url)
        tag = first.headers["etag"]
        assert tag.startswith('"') and not tag.startswith("W/"), "strong"
        with count_statements(app.state.engine) as statements:
            again = world.carol.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304, url
        assert again.content == b"" and again.headers["etag"] == tag
        assert not [sql for sql in statements if rows in sql.lower()], url
        assert (
            world.carol.get(url, headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304
        )
        assert world.carol.request("HEAD", url, headers={"If-None-Match": tag}).status_code == 304
        assert world.carol.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_listing_validator_depends_on_its_query(world: World) -> None:
    assert validator(world.carol, "/api/posts?limit=1") != validator(world.carol, "/api/posts")


def test_the_viewer_matters_where_the_answer_does(world: World) -> None:
    url = f"/api/posts/{world.post}/comments"
    assert validator(world.alice, url) != validator(world.carol, url)  # their own votes show
    assert validator(world.alice, f"/api/posts/{world.post}") == validator(
        world.carol, f"/api/posts/{world.post}"
    )


def test_if_match_turns_a_lost_update_into_a_412(world: World, make_api) -> None:  # type: ignore[no-untyped-def]
    laptop, phone = world.alice, make_api().log_in("alice")
    url = f"/api/posts/{world.post}"
    tag = laptop.get(url).headers["etag"]
    assert phone.get(url).headers["etag"] == tag
    saved = laptop.patch(url, json={"content": "From the laptop"}, headers={"If-Match": tag})
    assert saved.status_code == 200
    new_tag = saved.headers["etag"]
    assert new_tag != tag and laptop.get(url).headers["etag"] == new_tag
    lost = phone.put(
        url,
        json={"title": "Hello", "content": "From the phone", "published": True},
        headers={"If-Match": tag},
    )
    assert lost.status_code == 412
    assert "changed since you read it" in lost.json()["detail"]
    assert laptop.get(url).json()["content"] == "From the laptop"
    assert (
        phone.patch(url, json={"title": "X"}, headers={"If-Match": f"W/{new_tag}"}).status_code
        == 412
    )
    assert phone.patch(url, json={"title": "X"}, headers={"If-Match": new_tag}).status_code == 200
    assert phone.patch(url, json={"title": "Y"}, headers={"If-Match": "*"}).status_code == 200
    assert phone.patch(url, json={"title": "Z"}).status_code == 200, "If-Match is optional"


def test_if_match_on_comments(world: World) -> None:
    url = f"/api/comments/{world.comment}"
    created = world.bob.post(f"/api/posts/{world.post}/comments", json={"content": "Mine"})
    assert created.headers["etag"]
    first = world.bob.patch(url, json={"content": "One"})
    tag = first.headers["etag"]
    world.alice.post(f"{url}/vote")  # the comment changed: its count moved
    stale = world.bob.patch(url, json={"content": "Two"}, headers={"If-Match": tag})
    assert stale.status_code == 412
    current = world.bob.patch(url, json={"content": "Two"}).headers["etag"]
    assert (
        world.bob.patch(url, json={"content": "3"}, headers={"If-Match": current}).status_code
        == 200
    )


def test_two_editors_at_once_one_wins_and_one_is_told(world: World, app) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/posts/{world.post}"
    tag = world.alice.get(url).headers["etag"]
    clients = [TestClient(app) for _ in range(2)]
    token = world.alice.token
    start = threading.Barrier(2)
    statuses: list[int] = []

    def edit(client: TestClient, n: int) -> None:
        start.wait()
        response = client.patch(
            url,
            json={"content": f"Editor {n}"},
            headers={"If-Match": tag, "Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=edit, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert sorted(statuses) == [200, 412]


def test_concurrent_bumps_all_count(app) -> None:  # type: ignore[no-untyped-def]
    writers, each = 4, 25
    start = threading.Barrier(writers)

    def bump() -> None:
        start.wait()
        for _ in range(each):
            with Session(app.state.engine) as session:
                changes.bump(session, changes.SITE, changes.post(7))
                session.commit()

    threads = [threading.Thread(target=bump) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(app.state.engine) as session:
        before_site = 0  # fresh database: the site row starts at 0 (or is absent)
        site, post = changes.read(session, changes.SITE, changes.post(7))
        assert post == writers * each
        assert site - before_site == writers * each
        assert session.get(ChangeCounter, changes.post(7)) is not None
