"""Notifications as their recipient sees them: listed, counted, opened, marked read.

Filtered when read by the one visibility rule, never deleted for it: a notification about a
post that stopped being public (`posts.PUBLIC`), a comment that no longer shows its words
(`comments.shows_words_as`) or anyone unavailable (`users.available_as`) leaves the list and
the count at once, and comes back if the post is restored. Written by app.services.notifications.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.db import HotQuery
from app.models import Comment, Notification, Post, Report, User
from app.pagination import PAGE_SIZE, Page, Position, Window, after_post, bounds
from app.services import NotFound, comments, notifications, posts
from app.services.users import available_as

COUNT_MAX = 100  # the header counts this far, then says "99+"
NOT_FOUND = "That notification does not exist."

_actor = aliased(User, name="actor")
_owner = aliased(User, name="owner")


def _shown(stmt: Any) -> Any:
    """`stmt` over notifications, keeping those whose actor, post and comment may be seen."""
    return (
        stmt.outerjoin(_actor, col(_actor.id) == Notification.actor_id)
        .outerjoin(Post, col(Post.id) == Notification.post_id)
        .outerjoin(_owner, col(_owner.id) == Post.owner_id)
        .outerjoin(Comment, col(Comment.id) == Notification.comment_id)
        .where(
            or_(col(Notification.actor_id).is_(None), available_as(_actor)),
            or_(col(Notification.post_id).is_(None), and_(posts.PUBLIC, available_as(_owner))),
            # A comment's notifications name its author as the actor.
            or_(col(Notification.comment_id).is_(None), comments.shows_words_as(Comment, _actor)),
        )
    )


_LIST = _shown(
    select(  # type: ignore[call-overload,misc]  # sqlmodel types select() for 1-4 columns
        Notification.id,
        Notification.kind,
        Notification.created_at,
        Notification.read_at,
        Notification.post_id,
        Notification.comment_id,
        Notification.milestone,
        Notification.note,
        col(_actor.username).label("actor"),
        col(Post.title).label("post_title"),
        col(Report.item_type).label("report_item"),
        col(Report.outcome).label("report_outcome"),
    ).outerjoin(Report, col(Report.id) == Notification.report_id)
).order_by(col(Notification.created_at).desc(), col(Notification.id).desc())


def unread(recipient: Any) -> Any:
    """The header's count, as a column: how many unread notifications `recipient` may see,
    counted up to COUNT_MAX (the unread part of the recipient's unique index, each row checked
    by primary key). Read with the page's session, in the same statement (app.deps.PAGE_SESSION):
    a read of its own cost as much again as its SQL."""
    shown = _shown(
        select(Notification.id).where(
            Notification.recipient_id == recipient, col(Notification.read_at).is_(None)
        )
    )
    counted = select(func.count()).select_from(shown.limit(COUNT_MAX).subquery())
    return counted.scalar_subquery().label("unread")


def _mine(user_id: int, unread_only: bool) -> Any:
    stmt = _LIST.where(Notification.recipient_id == user_id)
    if unread_only:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    return stmt


# The /notifications page, its every view: prebuilt (it cost as much as the rest of the page).
_PAGE = HotQuery(
    _LIST.where(Notification.recipient_id == bindparam("user_id"))
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def page(*, engine: Engine, user_id: int, page: int = 1) -> Page:
    """Page `page` of `user_id`'s notifications, newest first (the /notifications page)."""
    params = {"user_id": user_id, **bounds(page, PAGE_SIZE)}
    return Page.of(_PAGE.rows(engine, params), page, PAGE_SIZE)


def window(
    *, session: Session, user_id: int, limit: int, after: Position | None, unread_only: bool
) -> Window:
    """Up to `limit` of `user_id`'s notifications, newest first, continuing from `after`."""
    stmt = _mine(user_id, unread_only)
    if after is not None:
        stmt = stmt.where(
            or_(
                col(Notification.created_at) < after.created_at,
                and_(
                    col(Notification.created_at) == after.created_at,
                    col(Notification.id) < after.id,
                ),
            )
        )
    return Window.of(session.exec(stmt.limit(limit + 1)).all(), limit, after_post)


def get(*, session: Session, user_id: int, notification_id: int) -> Any:
    """One of `user_id`'s notifications that they may see, as listed; NotFound otherwise."""
    found = session.exec(_mine(user_id, False).where(Notification.id == notification_id)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def target(row: Any) -> str:
    """Where opening a listed notification takes its recipient: a report's outcome, to the
    public log when the item was taken down (the item itself is gone from view)."""
    if row.kind == "warning":
        return "/notifications"
    if row.report_outcome is not None:
        return "/notifications" if row.report_outcome == "dismissed" else "/moderation"
    if row.comment_id is not None:
        return f"/comments/{row.comment_id}"
    if row.post_id is not None:
        return f"/posts/{row.post_id}"
    return f"/users/{row.actor}"


def mark_read(*, session: Session, user_id: int, ids: list[int] | None = None) -> int:
    """Mark `user_id`'s unread notifications `ids` (None: all of them) read; how many were."""
    stmt = notifications.unread(user_id)
    if ids is not None:
        if not ids:
            return 0
        stmt = stmt.where(col(Notification.id).in_(ids))
    result = session.exec(stmt.values(read_at=datetime.now(UTC)))
    session.commit()
    return int(result.rowcount or 0)


def open_one(*, session: Session, user_id: int, notification_id: int) -> str:
    """Mark one notification read and say where it leads; NotFound if it is not theirs to see."""
    row = get(session=session, user_id=user_id, notification_id=notification_id)
    mark_read(session=session, user_id=user_id, ids=[row.id])
    return target(row)
