"""Running the site: the dashboard numbers and what admins do to accounts.

Every change here is written to the audit log in the same transaction as the change itself.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.config import Settings
from app.models import REASON_MAX, ROLES, Post, User, Vote
from app.services import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    accounts,
    audit,
    changes,
    modlog,
    notifications,
    posts,
    report_outcomes,
    users,
)

DASHBOARD_DAYS = 30
# What moderators may do to posts from the admin pages, with the words the pages use.
POST_ACTIONS = {"hide": "Hide", "delete": "Delete"}
# How long an administrator may suspend an account for, in days, with the words the forms use;
# None is for good.
SUSPENSION_DAYS = {1: "1 day", 7: "7 days", 30: "30 days"}
# The suspension forms' choices: a form value and its words.
DURATIONS = [(str(days), words) for days, words in SUSPENSION_DAYS.items()] + [
    ("forever", "For good")
]


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


def suspend(
    *,
    session: Session,
    actor: User | None,
    user: User,
    days: int | None = None,
    reason: str = "",
) -> bool:
    """Suspend `user` for `days` (None: for good) with a reason they read when they try to log
    in; every session ends at once. The public moderation log says so, with the reason.
    False if they were suspended already (lift it first to change it).

    `actor` None is the command line.
    """
    if days is not None and days not in SUSPENSION_DAYS:
        raise ValidationFailed({"duration": "Choose one of the durations offered."})
    reason = clean_suspension_reason(reason)
    if not user.is_active:
        return False
    if actor is not None and actor.id == user.id:
        raise Forbidden("You cannot suspend your own account.")
    until = datetime.now(UTC) + timedelta(days=days) if days is not None else None
    # The log line and the profile's answered reports join the suspension's own commit.
    modlog.record(session=session, action="suspended", item_type="user", author=user, reason=reason)
    report_outcomes.settle(session=session, item_type="user", item_id=user.id, outcome="suspended")
    return users.set_available(
        session=session,
        actor=actor,
        user=user,
        available=False,
        action="user.suspend",
        until=until,
        reason=reason,
    )


def warn(*, session: Session, actor: User, user: User, reason: str, report_id: int) -> None:
    """Warn `user` with `reason`, which reaches them as a notification they cannot turn off;
    audited, in the caller's transaction. `report_id` names the report it answers."""
    reason = posts.clean_reason(reason)
    assert user.id is not None
    notifications.add(
        session=session, recipient_id=user.id, kind="warning", report_id=report_id, note=reason
    )
    audit.record(
        session=session, actor=actor, action="user.warn", target=user, after={"reason": reason}
    )


def lift(*, session: Session, actor: User | None, user: User) -> bool:
    """Lift `user`'s suspension, as its end does by itself; False if they were not suspended."""
    if user.is_active:
        return False
    return users.set_available(
        session=session, actor=actor, user=user, available=True, action="user.unsuspend"
    )


def lift_ended(*, session: Session, now: datetime | None = None) -> int:
    """Lift every timed suspension that has run out (the worker's sweep); how many."""
    now = now or datetime.now(UTC)
    due = session.exec(
        select(User)
        .where(col(User.is_active).is_(False), col(User.suspended_until) <= now)
        .order_by(col(User.id))
    ).all()
    return sum(users.lift_if_over(session, user, now) for user in due)


def duration_days(value: str) -> int | None:
    """A suspension form's duration as days (None: for good); ValidationFailed otherwise."""
    if value == "forever":
        return None
    if value.isdigit() and int(value) in SUSPENSION_DAYS:
        return int(value)
    raise ValidationFailed({"duration": "Choose one of the durations offered."})


def lift_ended_in(engine: Engine) -> int:
    """`lift_ended` in a session of its own: the server worker's chore (outbox.Worker)."""
    with Session(engine) as session:
        return lift_ended(session=session)


def clean_suspension_reason(reason: str) -> str:
    """The reason as its owner will read it; empty is allowed (the message then has none)."""
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": f"Keep the reason under {REASON_MAX} characters."})
    return reason


def send_reset_link(*, session: Session, settings: Settings, actor: User, user: User) -> None:
    """Mail `user` a password reset link (audited). The administrator never sees the link,
    nor sets or sees a password: only the owner of the address can use it."""
    if not users.may_log_in(user):
        raise Conflict(f"{user.username} is suspended: a reset link could not log them in.")
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
