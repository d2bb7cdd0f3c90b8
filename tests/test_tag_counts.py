"""Each tag's stored count of public posts stays equal to a count afresh through every write that
makes a post public or not, and /tags and GET /api/tags read it without touching post_tag."""

from collections.abc import Callable

import pytest
from sqlmodel import Session, col, func, select

from app.models import Post, PostTag, Tag, User
from app.services import admin, posts, tags, users
from tests.conftest import Api, get_user, set_role
from tests.test_query_count import count_statements


def count_afresh(session: Session, tag: Tag) -> int:
    """The tag's public posts, counted from post_tag: what its stored count must equal."""
    stmt = (
        select(func.count())
        .select_from(PostTag)
        .join(Post, col(Post.id) == PostTag.post_id)
        .join(User, col(User.id) == Post.owner_id)
        .where(PostTag.tag_id == tag.id, *tags.PUBLIC_POST)
    )
    return int(session.exec(stmt).one())


def stored_and_exact(db: Session) -> tuple[dict[str, int], dict[str, int]]:
    db.expire_all()
    stored = {tag.name: tag.public_posts for tag in db.exec(select(Tag)).all()}
    exact = {}
    for tag in db.exec(select(Tag)).all():
        exact[tag.name] = count_afresh(db, tag)
    return stored, exact


class Site:
    def __init__(self, make_api: Callable[..., Api], db: Session) -> None:
        self.db = db
        self.alice, self.bob = make_api("alice"), make_api("bob")
        set_role(db, "bob", "moderator")
        self.first = self.write(self.alice, ["python", "web"])
        self.second = self.write(self.alice, ["python"])
        self.draft = self.write(self.alice, ["python", "drafts"], published=False)
        self.bobs = self.write(self.bob, ["web"])

    def write(self, api: Api, names: list[str], published: bool = True) -> int:
        made = api.post(
            "/api/posts", json={"title": "T", "content": "C", "published": published, "tags": names}
        )
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def post(self, post_id: int):  # type: ignore[no-untyped-def]
        self.db.expire_all()
        return self.db.get(posts.Post, post_id)

    def user(self, name: str):  # type: ignore[no-untyped-def]
        return get_user(self.db, name)


def hide(s: Site, post_id: int) -> None:
    posts.hide(session=s.db, post=s.post(post_id), actor=s.user("bob"), reason="x")


def deactivate(s: Site, name: str, active: bool = False) -> None:
    change = admin.lift if active else admin.suspend
    change(session=s.db, actor=None, user=s.user(name))


STEPS: list[tuple[str, Callable[[Site], object]]] = [
    ("publish a draft", lambda s: s.alice.patch(f"/api/posts/{s.draft}", json={"published": True})),
    ("unpublish", lambda s: s.alice.patch(f"/api/posts/{s.first}", json={"published": False})),
    ("retag", lambda s: s.alice.patch(f"/api/posts/{s.first}", json={"tags": ["rust", "web"]})),
    ("retag a draft", lambda s: s.alice.patch(f"/api/posts/{s.draft}", json={"tags": ["go"]})),
    ("delete", lambda s: s.alice.delete(f"/api/posts/{s.second}")),
    ("delete a draft", lambda s: s.alice.delete(f"/api/posts/{s.draft}")),
    ("hide", lambda s: hide(s, s.first)),
    (
        "hide, restore",
        lambda s: (
            hide(s, s.first),
            posts.restore(session=s.db, post=s.post(s.first), actor=s.user("bob")),
        ),
    ),
    ("deactivate the author", lambda s: deactivate(s, "alice")),
    ("and back", lambda s: (deactivate(s, "alice"), deactivate(s, "alice", active=True))),
    (
        "a deactivated author's post restored",
        lambda s: (
            hide(s, s.first),
            deactivate(s, "alice"),
            posts.restore(session=s.db, post=s.post(s.first), actor=s.user("bob")),
        ),
    ),
    ("delete the account", lambda s: users.remove(session=s.db, user=s.user("alice"))),
    (
        "delete a deactivated account",
        lambda s: (deactivate(s, "alice"), users.remove(session=s.db, user=s.user("alice"))),
    ),
    (
        "merge",
        lambda s: tags.merge(
            session=s.db,
            tag=tags.named(session=s.db, name="web"),
            actor=s.user("bob"),
            into="python",
        ),
    ),
]


@pytest.mark.parametrize("name, step", STEPS, ids=[step[0] for step in STEPS])
def test_the_stored_count_equals_a_count_afresh_after_every_write(
    make_api, db: Session, name: str, step: Callable[[Site], object]
) -> None:  # type: ignore[no-untyped-def]
    site = Site(make_api, db)
    stored, exact = stored_and_exact(db)
    assert stored == exact == {"python": 2, "web": 2, "drafts": 0}
    result = step(site)
    if hasattr(result, "status_code"):
        assert result.status_code < 300, result.text
    stored, exact = stored_and_exact(db)
    assert stored == exact, name


def test_tags_are_listed_by_stored_use_without_reading_post_tag(app, make_api, db: Session) -> None:  # type: ignore[no-untyped-def]
    Site(make_api, db)
    visitor = make_api()
    with count_statements(app.state.engine) as statements:
        listed = visitor.get("/api/tags").json()
        page = visitor.get("/tags").text
    assert [(t["name"], t["post_count"]) for t in listed["items"]] == [("python", 2), ("web", 2)]
    assert "drafts" not in page and "python" in page
    assert not [sql for sql in statements if "post_tag" in sql.lower()], statements
