"""Running the site: the dashboard numbers and what admins do to accounts.

Every change here is written to the audit log in the same transaction as the change itself.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from app.config import Settings
from app.models import ROLES, Post, User, Vote
from app.services import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    accounts,
    audit,
    changes,
    comment_authors,
    posts,
    sessions,
    tag_counts,
    users,
)

DASHBOARD_DAYS = 30
# What moderators may do to posts from the admin pages, with the words the pages use.
POST_ACTIONS = {"hide": "Hide", "delete": "Delete"}


@dataclass(frozen=True)
class DayCount:
    day: date
    signups: int
    posts: int


@dataclass(frozen=True)
class Dashboard:
    users: int
    posts: int
    drafts: int
    votes: int
    days: list[DayCount]


def _per_day(session: Session, column: Any, since: datetime) -> dict[date, int]:
    day = func.date(column)
    rows = session.exec(select(day, func.count()).where(column >= since).group_by(day)).all()
    # SQLite answers "YYYY-MM-DD" text, PostgreSQL a date: read both the same way.
    return {date.fromisoformat(str(value)[:10]): int(n) for value, n in rows}


def dashboard(*, session: Session, today: date | None = None) -> Dashboard:
    """Totals, and sign-ups and new posts for each of the last 30 days (UTC), oldest first."""
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=DASHBOARD_DAYS - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    signups = _per_day(session, User.created_at, since)
    new_posts = _per_day(session, Post.created_at, since)
    by_state = dict(
        session.exec(select(col(Post.published), func.count()).group_by(col(Post.published))).all()
    )
    return Dashboard(
        users=session.exec(select(func.count()).select_from(User)).one(),
        posts=by_state.get(True, 0),
        drafts=by_state.get(False, 0),
        votes=session.exec(select(func.count()).select_from(Vote)).one(),
        days=[
            DayCount(d, signups.get(d, 0), new_posts.get(d, 0))
            for d in (first + timedelta(days=i) for i in range(DASHBOARD_DAYS))
        ],
    )


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no user with that id.")
    return user


def set_role(*, session: Session, actor: User | None, user: User, role: str) -> bool:
    """Give `user` a role; False if they already had it. `actor` None is the command line."""
    if role not in ROLES:
        raise ValidationFailed({"role": "Choose user, moderator or admin."})
    if role == user.role:
        return False
    if actor is not None and actor.id == user.id:
        raise Forbidden("You cannot change your own role. Ask another administrator.")
    was_admin = user.is_admin and user.is_active
    before = user.role
    user.role = role
    audit.record(
        session=session,
        actor=actor,
        action="user.role",
        target=user,
        before={"role": before},
        after={"role": role},
    )
    session.add(user)
    if was_admin:
        session.flush()
        users.ensure_admin_left(session, user, actor)
    changes.bump(session, changes.user(user.id))  # the role is on the account
    session.commit()
    return True


def set_active(*, session: Session, actor: User | None, user: User, active: bool) -> bool:
    """Deactivate (every session ends at once) or reactivate; False if nothing changed."""
    if active == user.is_active:
        return False
    if not active and actor is not None and actor.id == user.id:
        raise Forbidden("You cannot deactivate your own account.")
    was_admin = user.is_admin and user.is_active
    assert user.id is not None
    tag_counts.count_author(session, user.id, 1 if active else -1)  # their posts' tags
    user.is_active = active
    session.add(user)
    # The account row first: a comment being written meanwhile waits for it (comments.write).
    session.flush()
    assert user.id is not None
    comment_authors.set_counted(session=session, user_id=user.id, counted=active)
    audit.record(
        session=session,
        actor=actor,
        action="user.reactivate" if active else "user.deactivate",
        target=user,
        before={"is_active": not active},
        after={"is_active": active},
    )
    session.add(user)
    if was_admin and not active:
        session.flush()
        users.ensure_admin_left(session, user, actor)
    # Their posts leave (or come back to) every listing; their comments lose their author, so
    # the posts they commented on (and their comments feeds) change too.
    changes.bump(
        session, changes.SITE, changes.user(user.id), *changes.touched_by(session, user.id)
    )
    session.commit()
    if not active:
        # The session check refuses inactive users already; ending the rows makes it final.
        assert user.id is not None
        sessions.end_all_for_user(session=session, user_id=user.id)
    return True


def send_reset_link(*, session: Session, settings: Settings, actor: User, user: User) -> None:
    """Mail `user` a password reset link (audited). The administrator never sees the link,
    nor sets or sees a password: only the owner of the address can use it."""
    if not users.may_log_in(user):
        raise Conflict(f"{user.username} is deactivated: a reset link could not log them in.")
    accounts.send_reset(session=session, settings=settings, user=user)
    audit.record(
        session=session,
        actor=actor,
        action="user.reset_link",
        target=user,
        after={"sent_to": user.email},
    )
    session.commit()


def delete_user(*, session: Session, actor: User, user: User) -> dict[str, int]:
    """Delete another user with everything they wrote; returns what went with them."""
    if actor.id == user.id:
        raise Forbidden("Administrators delete their own account from their account page.")
    gone = users.footprint(session=session, user=user)
    audit.record(
        session=session,
        actor=actor,
        action="user.delete",
        target=user,
        before={**audit.user_values(user), **gone},
    )
    users.remove(session=session, user=user, actor=actor)
    return gone


def moderate_posts(
    *, session: Session, actor: User, post_ids: list[int], action: str, reason: str = ""
) -> int:
    """Hide (with `reason`) or delete each listed post `actor` may remove; how many changed.

    Posts deleted meanwhile (by another moderator, say) are skipped rather than failing the rest.
    """
    if action not in POST_ACTIONS:
        raise ValidationFailed({"action": "Choose hide or delete."})
    if action == "hide":
        reason = posts.clean_reason(reason)  # refused before anything changes
    changed = 0
    for post_id in dict.fromkeys(post_ids):
        try:
            post = posts.get_moderated(session=session, post_id=post_id, user=actor)
        except NotFound:
            continue
        if action == "delete":
            posts.remove(session=session, post=post, actor=actor)
            changed += 1
        elif posts.hide(session=session, post=post, actor=actor, reason=reason):
            changed += 1
    return changed
