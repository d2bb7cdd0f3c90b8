"""Dismissing: a member takes a post out of their own feeds (app.services.filters reads it)."""

from datetime import UTC, datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import Dismissal, Post, User
from app.pagination import Page, paginate
from app.services import changes


def is_dismissed(*, session: Session, user: User, post: Post) -> bool:
    return session.get(Dismissal, (user.id, post.id)) is not None


def set_dismissed(*, session: Session, user: User, post: Post, on: bool) -> bool:
    """Dismiss `post` (one the user may see) or undo it; whether it is dismissed now."""
    if not on:
        assert post.id is not None
        undo(session=session, user=user, post_id=post.id)
        return False
    if not is_dismissed(session=session, user=user, post=post):
        try:
            session.exec(
                insert(Dismissal).values(
                    user_id=user.id, post_id=post.id, created_at=datetime.now(UTC)
                )
            )
            changes.bump(session, changes.user(user.id))  # their feeds leave it out now
            session.commit()
        except IntegrityError:
            session.rollback()  # the same request twice at once: one row, as intended
    return True


def undo(*, session: Session, user: User, post_id: int) -> bool:
    """Bring a dismissed post back (whether or not the user may still see it); False if it
    was not dismissed."""
    result = session.exec(
        delete(Dismissal).where(
            col(Dismissal.user_id) == user.id, col(Dismissal.post_id) == post_id
        )
    )
    changes.bump(session, changes.user(user.id))
    session.commit()
    return bool(result.rowcount)


def toggle(*, session: Session, user: User, post: Post) -> bool:
    on = not is_dismissed(session=session, user=user, post=post)
    return set_dismissed(session=session, user=user, post=post, on=on)


def listing(*, session: Session, user: User, page: int = 1) -> Page:
    """The posts the user dismissed, last dismissed first: (post id, title or None, when).
    The title of someone else's post that is no longer public is not shown."""
    stmt = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
            Post.id, Post.title, Post.published, Post.owner_id, Dismissal.created_at
        )
        .join(Dismissal, col(Dismissal.post_id) == Post.id)
        .where(Dismissal.user_id == user.id)
        .order_by(col(Dismissal.created_at).desc(), col(Post.id).desc())
    )
    found = paginate(session, stmt, page)
    items = [
        {
            "id": row[0],
            "title": row[1] if row[2] or row[3] == user.id else None,
            "dismissed_at": row[4],
        }
        for row in found.items
    ]
    return Page(items=items, number=found.number, has_next=found.has_next)
