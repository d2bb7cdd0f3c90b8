"""Posts: who may see, write, change and remove them.

The listings are in app.services.feeds, votes in app.services.votes.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import rendering
from app.db import HotQuery
from app.models import Post, User, Viewer, Vote
from app.services import Forbidden, NotFound, ValidationFailed, audit
from app.services.feeds import LISTING
from app.services.validation import clean_content, clean_title


def get_visible(
    *, session: Session, post_id: int, viewer: User | Viewer | None
) -> tuple[Post, User]:
    """The post and its author if the viewer may see it; drafts are 404 to everyone else."""
    found = session.exec(
        select(Post, User).join(User, User.id == Post.owner_id).where(Post.id == post_id)  # type: ignore[arg-type]
    ).first()
    if found is None:
        raise NotFound("That post does not exist.")
    post, author = found
    if not post.published and (viewer is None or viewer.id != post.owner_id):
        raise NotFound("That post does not exist.")
    return post, author


# The post page in one read: the post, its author's name and whether the viewer voted for it
# (viewer NULL for visitors, which matches no vote).
_SHOW = HotQuery(
    select(*LISTING, col(Vote.user_id).is_not(None).label("voted"))
    .join(User, User.id == Post.owner_id)  # type: ignore[arg-type]
    .outerjoin(
        Vote,
        and_(Vote.post_id == Post.id, Vote.user_id == bindparam("viewer")),  # type: ignore[arg-type]
    )
    .where(Post.id == bindparam("post_id"))
)


def get_page(*, engine: Engine, post_id: int, viewer: User | Viewer | None) -> Any:
    """What the post page shows, as one row: the post's columns, `author` and `voted`.

    Drafts are 404 to everyone but their author, as in `get_visible`.
    """
    viewer_id = viewer.id if viewer is not None else None
    rows = _SHOW.rows(engine, {"post_id": post_id, "viewer": viewer_id})
    if not rows or (not rows[0].published and rows[0].owner_id != viewer_id):
        raise NotFound("That post does not exist.")
    return rows[0]


def get_owned(*, session: Session, post_id: int, user: User) -> Post:
    """The post if `user` owns it: 404 if it is hidden from them, 403 if it is someone else's."""
    post, _ = get_visible(session=session, post_id=post_id, viewer=user)
    if post.owner_id != user.id:
        raise Forbidden("Only the author can change this post.")
    return post


def may_moderate(user: User | Viewer | None) -> bool:
    """The one permission check for acting on other people's posts (pages, admin and API)."""
    return user is not None and user.is_active and user.is_moderator


def get_removable(*, session: Session, post_id: int, user: User) -> Post:
    """The post if `user` may delete or unpublish it: its owner, or a moderator or admin."""
    if may_moderate(user):
        post = session.get(Post, post_id)
        if post is None:
            raise NotFound("That post does not exist.")
        return post
    return get_owned(session=session, post_id=post_id, user=user)


def check(*, title: str, content: str) -> dict[str, str]:
    """The field errors a post with this title and content would get (none: it would save)."""
    try:
        _clean(title, content)
    except ValidationFailed as exc:
        return exc.errors
    return {}


def _clean(title: str, content: str) -> tuple[str, str]:
    errors, clean = {}, {}
    for name, cleaner, value in (
        ("title", clean_title, title),
        ("content", clean_content, content),
    ):
        try:
            clean[name] = cleaner(value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    return clean["title"], clean["content"]


def create(*, session: Session, owner: User, title: str, content: str, published: bool) -> Post:
    title, content = _clean(title, content)
    assert owner.id is not None
    post = Post(
        title=title,
        content=content,
        excerpt=rendering.excerpt(content),
        published=published,
        owner_id=owner.id,
    )
    session.add(post)
    session.commit()
    session.refresh(post)
    return post


def edit(*, session: Session, post: Post, title: str, content: str, published: bool) -> Post:
    title, content = _clean(title, content)
    post.title, post.content, post.published = title, content, published
    post.excerpt = rendering.excerpt(content)
    post.updated_at = datetime.now(UTC)
    session.add(post)
    session.commit()
    session.refresh(post)
    return post


def remove(*, session: Session, post: Post, actor: User | None = None) -> None:
    """Delete a post; when `actor` is a moderator removing someone else's post, audit it."""
    if actor is not None and actor.id != post.owner_id:
        before = audit.post_values(post)
        audit.record(session=session, actor=actor, action="post.delete", target=post, before=before)
    session.delete(post)
    session.commit()


def unpublish(*, session: Session, post: Post, actor: User) -> bool:
    """Take a post out of the feed (it becomes its author's draft); False if it already was one."""
    if not post.published:
        return False
    post.published = False
    if actor.id != post.owner_id:
        audit.record(
            session=session,
            actor=actor,
            action="post.unpublish",
            target=post,
            before={"published": True},
            after={"published": False},
        )
    session.add(post)
    session.commit()
    return True
