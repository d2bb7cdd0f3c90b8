"""Reports: members tell the moderators about a post, comment or profile; moderators decide.

Each decision resolves every open report on its item in one transaction, with the audit entry,
the public log line (app.services.modlog, through the post and comment services) and a
notification to each reporter that never names the moderator. Enough reports from established
members set a post or comment aside ("awaiting a moderator") until someone decides.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import (
    REPORT_ITEMS,
    REPORT_NOTE_MAX,
    REPORT_REASONS,
    Comment,
    Post,
    Report,
    User,
)
from app.pagination import PAGE_SIZE, Page, paginate
from app.services import (
    Conflict,
    Forbidden,
    NotFound,
    Throttled,
    ValidationFailed,
    admin,
    audit,
    comments,
    posts,
    report_outcomes,
    users,
)

HOUR = timedelta(hours=1)
NOT_OPEN = "There is no open report on that item."
DUPLICATE = "You have already reported this; a moderator will look at it."
# What a moderator may do with each kind of item.
ACTIONS = {
    "post": ("dismiss", "hide", "delete"),
    "comment": ("dismiss", "remove"),
    "user": ("dismiss",),
}
# What administrators may also do with any item: to its author (pages only).
AUTHOR_ACTIONS = ("warn", "suspend")
OUTCOMES = {
    "dismiss": "dismissed",
    "hide": "hidden",
    "remove": "hidden",
    "delete": "deleted",
    "warn": "warned",
    "suspend": "suspended",
}
Item = Post | Comment | User


def utcnow() -> datetime:
    """The reports' clock (tests move it past the hour)."""
    return datetime.now(UTC)


def _clean(item_type: str, reason: str, note: str) -> str:
    errors = {}
    if item_type not in REPORT_ITEMS:
        errors["item_type"] = "Report a post, a comment or a profile."
    if reason not in REPORT_REASONS:
        errors["reason"] = "Choose a reason: " + ", ".join(REPORT_REASONS) + "."
    note = " ".join(note.split())
    if len(note) > REPORT_NOTE_MAX:
        errors["note"] = f"Keep the note under {REPORT_NOTE_MAX} characters."
    if errors:
        raise ValidationFailed(errors)
    return note


def _reportable(session: Session, item_type: str, item_id: int, reporter: User) -> Item:
    """The item if `reporter` may see it and it is someone else's; 404 / 403 otherwise."""
    item: Item
    if item_type == "post":
        item, _ = posts.get_visible(session=session, post_id=item_id, viewer=reporter)
        own = item.owner_id == reporter.id
    elif item_type == "comment":
        item, _ = comments.get_visible(session=session, comment_id=item_id, viewer=reporter)
        if not comments.stands(session, item):
            raise NotFound(comments.NOT_FOUND)
        own = item.author_id == reporter.id
    else:
        found = session.get(User, item_id)
        if found is None or not users.available(found):
            raise NotFound("That account does not exist.")
        item, own = found, found.id == reporter.id
    if own:
        raise Forbidden(
            f"You cannot report your own {'profile' if item_type == 'user' else item_type}."
        )
    return item


def file(
    *,
    session: Session,
    settings: Settings,
    reporter: User,
    item_type: str,
    item_id: int,
    reason: str,
    note: str = "",
) -> Report:
    """Report an item and commit; it may set the item aside for review (`_maybe_pend`).

    Throttled by a count of the reporter's reports of the last hour, taken after the new row is
    written in the same transaction: SQLite's write lock, and on PostgreSQL the reporter's row
    locked first, make a burst of reports take turns, so none slips past the limit.
    """
    users.may_act(session, reporter)
    note = _clean(item_type, reason, note)
    item = _reportable(session, item_type, item_id, reporter)
    session.exec(select(User.id).where(User.id == reporter.id).with_for_update())
    open_one = session.exec(
        select(Report.id).where(*_open(item_type, item_id), Report.reporter_id == reporter.id)
    ).first()
    if open_one is not None:
        raise Conflict(DUPLICATE)
    assert reporter.id is not None
    now = utcnow()
    report = Report(
        reporter_id=reporter.id,
        item_type=item_type,
        item_id=item_id,
        reason=reason,
        note=note,
        created_at=now,
    )
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(DUPLICATE) from None
    recent = session.exec(
        select(Report.created_at)
        .where(Report.reporter_id == reporter.id, col(Report.created_at) > now - HOUR)
        .order_by(col(Report.created_at))
    ).all()
    if len(recent) > settings.reports_per_hour:
        session.rollback()
        wait = max(1, int((recent[0] + HOUR - now).total_seconds()) + 1)
        raise Throttled(
            f"You have sent {settings.reports_per_hour} reports in the last hour; "
            f"try again in {max(1, wait // 60)} minute(s).",
            wait,
        )
    _maybe_pend(session, settings, item, item_type, item_id, now)
    session.commit()
    session.refresh(report)
    return report


def _open(item_type: str, item_id: int) -> tuple[Any, ...]:
    return (
        Report.item_type == item_type,
        Report.item_id == item_id,
        col(Report.resolved_at).is_(None),
    )


def trusted_reporters(
    *, session: Session, settings: Settings, item_type: str, item_id: int, now: datetime
) -> int:
    """Distinct members with open reports on the item who count towards setting it aside: a
    confirmed address and an account older than NEW_ACCOUNT_HOURS."""
    old_enough = now - timedelta(hours=settings.new_account_hours)
    return int(
        session.exec(
            select(func.count(func.distinct(Report.reporter_id)))
            .join(User, col(User.id) == Report.reporter_id)
            .where(
                *_open(item_type, item_id),
                col(User.email_verified_at).is_not(None),
                col(User.created_at) <= old_enough,
            )
        ).one()
    )


def _maybe_pend(
    session: Session, settings: Settings, item: Item, item_type: str, item_id: int, now: datetime
) -> None:
    if isinstance(item, User):
        return  # an account is set aside by suspension, a moderator's decision
    count = trusted_reporters(
        session=session, settings=settings, item_type=item_type, item_id=item_id, now=now
    )
    if count < settings.reports_to_pend:
        return
    if isinstance(item, Post):
        posts.set_aside(session=session, post=item, at=now)
    else:
        comments.set_aside(session=session, comment=item, at=now)


def _unpend(session: Session, item: Item) -> None:
    if isinstance(item, Post):
        posts.give_back(session=session, post=item)
    elif isinstance(item, Comment):
        comments.give_back(session=session, comment=item)


def _item(session: Session, item_type: str, item_id: int) -> Item | None:
    if item_type == "post":
        return session.get(Post, item_id)
    if item_type == "comment":
        return session.get(Comment, item_id)
    return session.get(User, item_id)


def resolve(
    *,
    session: Session,
    actor: User,
    report_id: int,
    action: str,
    reason: str = "",
    days: int | None = None,
) -> str:
    """A moderator decides on the item of `report_id`: every open report on it is resolved,
    audited, and its reporter told the outcome; the outcome ("dismissed", "hidden", ...).

    Administrators may also warn the item's author (`reason` is what they read) or suspend
    them for `days` (None: for good), through the same services as the user admin page.
    """
    if not posts.may_moderate(actor):
        raise Forbidden("Only moderators and administrators handle reports.")
    report = session.get(Report, report_id)
    if report is None or report.resolved_at is not None:
        raise NotFound(NOT_OPEN)
    item_type, item_id = report.item_type, report.item_id
    if action in AUTHOR_ACTIONS:
        if not actor.is_admin:
            raise Forbidden("Only administrators warn or suspend authors.")
    elif action not in ACTIONS[item_type]:
        raise ValidationFailed(
            {"action": f"For a {item_type}: " + ", ".join(ACTIONS[item_type]) + "."}
        )
    if action in ("hide", "remove", "warn") or (action == "delete" and reason.strip()):
        reason = posts.clean_reason(reason)
    elif action == "suspend":
        reason = admin.clean_suspension_reason(reason)
    item = _item(session, item_type, item_id)
    author = _author(session, item)
    if action in AUTHOR_ACTIONS and (author is None or not users.available(author)):
        raise ValidationFailed({"action": "Its author's account is gone or suspended already."})
    outcome = OUTCOMES[action]
    # Answered first: the deed below (hide, remove, ...) finds none left open, and commits them.
    answered = report_outcomes.settle(
        session=session, item_type=item_type, item_id=item_id, outcome=outcome, at=utcnow()
    )
    if item is None:  # gone meanwhile (its author deleted it): nothing is left to decide
        session.commit()
        return outcome
    audit.record(
        session=session,
        actor=actor,
        action="report.resolve",
        target=item,
        after={"outcome": outcome, "reports": len(answered)},
    )
    if action == "dismiss":
        _unpend(session, item)
        session.commit()
    elif action == "warn":
        assert author is not None
        admin.warn(session=session, actor=actor, user=author, reason=reason, report_id=report_id)
        session.commit()
    elif action == "suspend":
        assert author is not None
        admin.suspend(session=session, actor=actor, user=author, days=days, reason=reason)
    elif isinstance(item, Post) and action == "hide":
        if not posts.hide(session=session, post=item, actor=actor, reason=reason):
            session.commit()  # already hidden: the reports are answered all the same
    elif isinstance(item, Post):
        posts.remove(session=session, post=item, actor=actor, reason=reason)
    elif isinstance(item, Comment):
        if item.deleted and item.pending_at is None:
            session.commit()  # already gone from view
        else:
            comments.remove(session=session, comment=item, actor=actor, reason=reason)
    return outcome


def _author(session: Session, item: Item | None) -> User | None:
    if isinstance(item, Post):
        return session.get(User, item.owner_id)
    if isinstance(item, Comment):
        return session.get(User, item.author_id) if item.author_id is not None else None
    return item


def open_count(*, session: Session) -> int:
    """How many items await a decision (the dashboard's queue size)."""
    grouped = (
        select(Report.item_type, Report.item_id)
        .where(col(Report.resolved_at).is_(None))
        .group_by(col(Report.item_type), col(Report.item_id))
        .subquery()
    )
    return int(session.exec(select(func.count()).select_from(grouped)).one())


@dataclass
class Group:
    """One item of the queue with its open reports, and the item as the moderator sees it."""

    item_type: str
    item_id: int
    count: int
    first_at: datetime
    report_id: int  # the oldest open report, which the actions name
    reasons: dict[str, int]
    notes: list[str]
    item: Any  # the Post, Comment or User; None if gone
    author: User | None
    post: Post | None  # a comment's post
    actions: tuple[str, ...]


def queue_page(*, session: Session, page: int) -> Page:
    """Page `page` of the queue: open reports grouped by item, oldest first."""
    stmt = (
        select(  # type: ignore[call-overload]
            col(Report.item_type),
            col(Report.item_id),
            func.count().label("count"),
            func.min(Report.created_at).label("first_at"),
            func.min(Report.id).label("report_id"),
        )
        .where(col(Report.resolved_at).is_(None))
        .group_by(col(Report.item_type), col(Report.item_id))
        .order_by(func.min(Report.created_at), func.min(Report.id))
    )
    listing = paginate(session, stmt, page, PAGE_SIZE)
    groups = [_group(session, row) for row in listing.items]
    return Page(items=groups, number=listing.number, has_next=listing.has_next)


def _group(session: Session, row: Any) -> Group:
    reports = session.exec(
        select(Report).where(*_open(row.item_type, row.item_id)).order_by(col(Report.created_at))
    ).all()
    reasons: dict[str, int] = {}
    for each in reports:
        reasons[each.reason] = reasons.get(each.reason, 0) + 1
    item = _item(session, row.item_type, row.item_id)
    author = _author(session, item)
    post = session.get(Post, item.post_id) if isinstance(item, Comment) else None
    return Group(
        item_type=row.item_type,
        item_id=row.item_id,
        count=row.count,
        first_at=row.first_at,
        report_id=row.report_id,
        reasons=reasons,
        notes=[each.note for each in reports if each.note],
        item=item,
        author=author,
        post=post,
        actions=ACTIONS[row.item_type],
    )
