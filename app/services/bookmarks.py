"""Bookmarks: posts a member saved to read later. Private: no one else sees them or a count."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import Bookmark, Post, User
from app.pagination import PAGE_SIZE, Position, Window
from app.services.feeds import LISTING
from app.services.users import AVAILABLE


def is_bookmarked(*, session: Session, user: User, post: Post) -> bool:
    return session.get(Bookmark, (user.id, post.id)) is not None


def set_bookmark(*, session: Session, user: User, post: Post, on: bool) -> bool:
    """Bookmark `post` (one the user may see: the caller's access check) or take it off;
    whether it is bookmarked now. Asking twice changes nothing."""
    if not on:
        session.exec(
            delete(Bookmark).where(
                col(Bookmark.user_id) == user.id, col(Bookmark.post_id) == post.id
            )
        )
        session.commit()
        return False
    if not is_bookmarked(session=session, user=user, post=post):
        try:
            session.exec(
                insert(Bookmark).values(
                    user_id=user.id, post_id=post.id, created_at=datetime.now(UTC)
                )
            )
            session.commit()
        except IntegrityError:
            session.rollback()  # the same bookmark twice at once: one row, as intended
    return True


def toggle(*, session: Session, user: User, post: Post) -> bool:
    """The page's one button: bookmark, or take the bookmark off. Whether it is on now."""
    on = not is_bookmarked(session=session, user=user, post=post)
    return set_bookmark(session=session, user=user, post=post, on=on)


def listing(
    *, engine: Engine, user: User, limit: int = PAGE_SIZE, after: Position | None = None
) -> Window:
    """The user's bookmarks, newest bookmark first (ix_bookmark_user), continuing from `after`
    (the bookmark time and post id). Only posts they may still see: public ones by available
    authors, and their own; each row carries `bookmarked_at`."""
    stmt = (
        select(*LISTING, col(Bookmark.created_at).label("bookmarked_at"))  # type: ignore[call-overload]
        .select_from(Bookmark)
        .join(Post, col(Post.id) == Bookmark.post_id)
        .join(User, col(User.id) == Post.owner_id)
        .where(Bookmark.user_id == user.id, AVAILABLE)
        .where(col(Post.published).is_(True) | (col(Post.owner_id) == user.id))
    )
    if after is not None:
        stmt = stmt.where(
            (col(Bookmark.created_at) < after.created_at)
            | ((col(Bookmark.created_at) == after.created_at) & (col(Bookmark.post_id) < after.id))
        )
    stmt = stmt.order_by(col(Bookmark.created_at).desc(), col(Bookmark.post_id).desc())
    with engine.connect() as connection:
        rows = list(connection.execute(stmt.limit(limit + 1)))
    return Window.of(rows, limit, _after_bookmark)


def _after_bookmark(row: Any) -> Position:
    return Position(row.bookmarked_at, row.id)


def exported(*, session: Session, user: User) -> list[dict[str, Any]]:
    """The user's bookmarks for their data export, oldest first."""
    rows = session.exec(
        select(Bookmark, Post)
        .join(Post, col(Post.id) == Bookmark.post_id)
        .where(Bookmark.user_id == user.id)
        .order_by(col(Bookmark.created_at))
    ).all()
    return [
        {
            "post_id": post.id,
            # Someone else's post that has since become a draft is theirs again: no title.
            "post_title": post.title if post.published or post.owner_id == user.id else None,
            "bookmarked_at": mark.created_at.isoformat(timespec="seconds"),
        }
        for mark, post in rows
    ]
