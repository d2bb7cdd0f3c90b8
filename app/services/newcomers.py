"""What a new account may publish: NEW_ACCOUNT_POSTS_PER_HOUR posts and
NEW_ACCOUNT_COMMENTS_PER_HOUR comments in any hour while it is younger than NEW_ACCOUNT_HOURS.

Counted from the rows themselves (posts by `published_at`, comments by `created_at`), not a
counter of their own: the count is exact and there is nothing to keep in step. The limits
come with the request's session (`Limits.of`, set in app.deps); consoles and scripts open
sessions without them and act as trusted, so `seed-demo` never trips them.

The writer's row is locked first (PostgreSQL), and the count is taken after the new row is
written (SQLite's write lock): a burst of requests takes turns, so none slips past the limit.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Comment, Post, User
from app.services import Throttled

HOUR = timedelta(hours=1)
Kind = Literal["posts", "comments"]
SESSION_KEY = "new_account_limits"


@dataclass(frozen=True)
class Limits:
    hours: float
    posts: int
    comments: int

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(
            hours=settings.new_account_hours,
            posts=settings.new_account_posts_per_hour,
            comments=settings.new_account_comments_per_hour,
        )


def utcnow() -> datetime:
    """The limits' clock (tests move it past the hour)."""
    return datetime.now(UTC)


def hold(session: Session, user: User) -> Limits | None:
    """The limits that bind `user` now (None for an account old enough, or a console), with
    the account's row locked until the caller commits. Call before writing the new row."""
    limits: Limits | None = session.info.get(SESSION_KEY)
    if limits is None or user.created_at <= utcnow() - timedelta(hours=limits.hours):
        return None
    session.exec(select(User.id).where(User.id == user.id).with_for_update())
    return limits


def check(session: Session, user: User, kind: Kind, limits: Limits | None) -> None:
    """After the new post or comment is flushed: roll back and raise Throttled, saying when
    the next one may go out, if it is more than `limits` allow in the last hour."""
    if limits is None:
        return
    now = utcnow()
    if kind == "posts":
        when = col(Post.published_at)
        query = select(when).where(Post.owner_id == user.id, when > now - HOUR)
    else:
        when = col(Comment.created_at)
        query = select(when).where(Comment.author_id == user.id, when > now - HOUR)
    times = [at for at in session.exec(query.order_by(when)).all() if at is not None]
    limit = limits.posts if kind == "posts" else limits.comments
    if len(times) <= limit:
        return
    session.rollback()
    # The moment enough of the hour's items have aged out to leave room for one more.
    free_at = times[len(times) - 1 - limit] + HOUR
    wait = max(1, math.ceil((free_at - now).total_seconds()))
    minutes = math.ceil(wait / 60)
    noun = "post" if kind == "posts" else "comment"
    raise Throttled(
        f"New accounts may publish {limit} {kind if limit != 1 else noun} an hour during their "
        f"first {_hours(limits.hours)}. You can {'post' if kind == 'posts' else 'comment'} "
        f"again at {free_at:%H:%M} UTC (in {minutes} minute{'s' if minutes != 1 else ''}).",
        wait,
    )


def _hours(hours: float) -> str:
    whole = round(hours)
    return f"{whole} hour{'s' if whole != 1 else ''}" if whole == hours else f"{hours:g} hours"
