"""Follows: who follows whom, and the counts and lists a profile shows."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, insert, literal
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.db import HotQuery, engine_of
from app.models import Follow, User, Viewer
from app.pagination import Page, paginate
from app.services import DomainError, blocks, changes, notifications
from app.services import users as user_service

LIST_SIZE = 50
ViewerFollow = aliased(Follow)  # the viewer's own follows, beside the list's
MAX_FOLLOWING = 5_000  # also bounds the work of each Following feed page (feeds.following)


class CannotFollow(DomainError):
    """Following yourself, or past the limit."""


@dataclass(frozen=True)
class Stats:
    followers: int
    following: int
    followed_by_viewer: bool


def follow(*, session: Session, follower: User, followed: User) -> bool:
    """Follow `followed`; False if already following (asking twice is not an error)."""
    if follower.id == followed.id:
        raise CannotFollow("You cannot follow yourself.")
    if blocks.has_blocked(session, followed.id, follower.id):
        raise CannotFollow(blocks.CANNOT_FOLLOW)
    if blocks.has_blocked(session, follower.id, followed.id):
        raise CannotFollow("You blocked this account: unblock it to follow it.")
    if is_following(session=session, follower=follower, followed=followed):
        return False
    count = session.exec(select(func.count()).where(Follow.follower_id == follower.id)).one()
    if count >= MAX_FOLLOWING:
        raise CannotFollow(f"You can follow at most {MAX_FOLLOWING:,} people.")
    try:
        session.exec(
            insert(Follow).values(
                follower_id=follower.id, followed_id=followed.id, created_at=datetime.now(UTC)
            )
        )
        changes.bump(session, changes.user(follower.id), changes.user(followed.id))
        assert followed.id is not None
        # Follow, unfollow, follow again: while the first is unread, it stands alone.
        notifications.add(
            session=session, recipient_id=followed.id, kind="follow", actor_id=follower.id
        )
        session.commit()
    except IntegrityError:
        session.rollback()  # the same follow arrived twice at once: one row, as intended
        return False
    return True


def unfollow(*, session: Session, follower: User, followed: User) -> bool:
    """Stop following; False if there was nothing to undo."""
    result = session.exec(
        delete(Follow).where(
            col(Follow.follower_id) == follower.id,
            col(Follow.followed_id) == followed.id,
        )
    )
    if result.rowcount:
        changes.bump(session, changes.user(follower.id), changes.user(followed.id))
    session.commit()
    return bool(result.rowcount)


def is_following(*, session: Session, follower: User, followed: User) -> bool:
    return session.get(Follow, (follower.id, followed.id)) is not None


def _stats_statement() -> Any:
    # Counted as the lists show them: unavailable people are in neither.
    followers = (
        select(func.count())
        .select_from(Follow)
        .join(User, col(User.id) == Follow.follower_id)
        .where(Follow.followed_id == bindparam("user_id"), user_service.AVAILABLE)
        .scalar_subquery()
    )
    following = (
        select(func.count())
        .select_from(Follow)
        .join(User, col(User.id) == Follow.followed_id)
        .where(Follow.follower_id == bindparam("user_id"), user_service.AVAILABLE)
        .scalar_subquery()
    )
    viewer_follows = exists().where(
        col(Follow.follower_id) == bindparam("viewer_id"),
        col(Follow.followed_id) == bindparam("user_id"),
    )
    return select(
        followers.label("followers"),
        following.label("following"),
        viewer_follows.label("followed_by_viewer"),
    )


# Built once, like the feeds' reads: building it cost more than running it, on every profile.
_STATS = HotQuery(_stats_statement())


def stats(*, session: Session, user: User, viewer: User | Viewer | None) -> Stats:
    """Follower and following counts, and whether `viewer` follows `user`: one statement."""
    # Id 0 names nobody: no viewer, or the user themselves, follows no one here.
    viewer_id = viewer.id if viewer is not None and viewer.id != user.id else 0
    (row,) = _STATS.rows(engine_of(session), {"user_id": user.id, "viewer_id": viewer_id})
    return Stats(int(row.followers), int(row.following), bool(row.followed_by_viewer))


def people(
    *,
    session: Session,
    user: User,
    direction: str,
    page: int = 1,
    viewer: User | Viewer | None = None,
) -> Page:
    """`user`'s followers (direction "followers") or the people they follow ("following"),
    most recent first: rows of (person, whether `viewer` follows them), in one statement."""
    if direction == "followers":
        mine, theirs = col(Follow.followed_id), col(Follow.follower_id)
    else:
        mine, theirs = col(Follow.follower_id), col(Follow.followed_id)
    viewer_follows = (
        exists().where(
            col(ViewerFollow.follower_id) == viewer.id, col(ViewerFollow.followed_id) == User.id
        )
        if viewer is not None
        else literal(False)
    )
    stmt = (
        select(User, viewer_follows)
        .join(Follow, theirs == User.id)
        .where(mine == user.id, user_service.AVAILABLE)
        .order_by(col(Follow.created_at).desc(), col(User.id).desc())
    )
    return paginate(session, stmt, page, LIST_SIZE)
