"""Notifications, as they are written: inside the transaction of the thing they announce.

Every function here adds rows to the caller's session and never commits, so a notification
exists exactly when what it tells of does. What a person sees of them (the one visibility rule,
read time) is app.services.inbox.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from app.db import dialect_insert, engine_of
from app.models import NOTIFICATION_KINDS, Block, Notification, NotificationMute, PostMilestone

KINDS = NOTIFICATION_KINDS
# The kinds a member may turn off: a moderator's warning always reaches them.
MUTABLE = tuple(kind for kind in KINDS if kind != "warning")
# What the account page calls each kind.
LABELS = {
    "reply_post": "Comments on my posts",
    "reply_comment": "Replies to my comments",
    "mention": "Mentions of me",
    "follow": "New followers",
    "milestone": "Vote milestones on my posts (1, 10, 100, …)",
    "report_resolved": "What moderators decided about my reports",
}


def is_milestone(votes: int) -> bool:
    """1, 10, 100, 1000 …: the vote counts a post's author is told of."""
    while votes >= 10 and votes % 10 == 0:
        votes //= 10
    return votes == 1


def muted(*, session: Session, user_id: int) -> set[str]:
    """The kinds `user_id` chose not to get."""
    rows = session.exec(select(NotificationMute.kind).where(NotificationMute.user_id == user_id))
    return set(rows.all())


def add(
    *,
    session: Session,
    recipient_id: int,
    kind: str,
    actor_id: int | None = None,
    post_id: int | None = None,
    comment_id: int | None = None,
    milestone: int | None = None,
    report_id: int | None = None,
    note: str | None = None,
) -> bool:
    """Tell `recipient_id` of something, in the caller's transaction; False if not written.

    Never of their own doing, nor of a kind they turned off; while one of the same kind, actor
    and item is unread, that one stands (the partial unique index decides, also under races).
    """
    told = add_many(
        session=session,
        recipient_ids=[recipient_id],
        kind=kind,
        actor_id=actor_id,
        post_id=post_id,
        comment_id=comment_id,
        milestone=milestone,
        report_id=report_id,
        note=note,
    )
    return told == 1


def add_many(
    *,
    session: Session,
    recipient_ids: list[int],
    kind: str,
    actor_id: int | None = None,
    post_id: int | None = None,
    comment_id: int | None = None,
    milestone: int | None = None,
    report_id: int | None = None,
    note: str | None = None,
) -> int:
    """`add` for several people told of one thing, in two statements; how many were told."""
    assert kind in KINDS, kind
    recipients = [user_id for user_id in dict.fromkeys(recipient_ids) if user_id != actor_id]
    if not recipients:
        return 0
    off = list(
        session.exec(
            select(NotificationMute.user_id).where(
                col(NotificationMute.user_id).in_(recipients), NotificationMute.kind == kind
            )
        ).all()
    )
    if actor_id is not None:
        # Nobody hears from someone they muted or blocked (app.services.blocks).
        off += session.exec(
            select(Block.user_id).where(
                col(Block.user_id).in_(recipients), Block.other_id == actor_id
            )
        ).all()
    recipients = [user_id for user_id in recipients if user_id not in set(off)]
    if not recipients:
        return 0
    parts: tuple[object, ...] = (kind, actor_id, post_id, comment_id, milestone)
    if report_id is not None:  # each report's outcome is news of its own
        parts += (report_id,)
    key = ":".join(str(part or "") for part in parts)
    now = datetime.now(UTC)
    result = session.exec(
        dialect_insert(engine_of(session))(Notification)
        .values(
            [
                {
                    "recipient_id": user_id,
                    "kind": kind,
                    "actor_id": actor_id,
                    "post_id": post_id,
                    "comment_id": comment_id,
                    "milestone": milestone,
                    "report_id": report_id,
                    "note": note,
                    "dedupe_key": key,
                    "created_at": now,
                }
                for user_id in recipients
            ]
        )
        .on_conflict_do_nothing()
        # What comes back tells which rows went in (a rowcount need not, on PostgreSQL).
        .returning(col(Notification.id))
    )
    return len(result.all())


def unread(user_id: int) -> Any:
    """An UPDATE of `user_id`'s unread notifications, to narrow and give values to."""
    return update(Notification).where(
        col(Notification.recipient_id) == user_id, col(Notification.read_at).is_(None)
    )


def mark_read_from(*, session: Session, user_id: int, actor_id: int) -> None:
    """Mark read what `actor_id` did that `user_id` has not read yet (a mute or a block)."""
    stmt = unread(user_id).where(col(Notification.actor_id) == actor_id)
    session.exec(stmt.values(read_at=datetime.now(UTC)))


def vote_reached(*, session: Session, post_id: int, owner_id: int, votes: int) -> bool:
    """After a vote moved the post's count to `votes`: tell its author of a milestone, the
    first time the post reaches it (withdrawn and given again, it is not news)."""
    if not is_milestone(votes):
        return False
    first = session.exec(
        dialect_insert(engine_of(session))(PostMilestone)
        .values(post_id=post_id, milestone=votes)
        .on_conflict_do_nothing()
        .returning(col(PostMilestone.post_id))
    )
    if first.first() is None:
        return False
    return add(
        session=session,
        recipient_id=owner_id,
        kind="milestone",
        post_id=post_id,
        milestone=votes,
    )


def set_muted(*, session: Session, user_id: int, kinds: set[str]) -> None:
    """Turn off exactly `kinds` for `user_id` (every other kind on) and commit."""
    unknown = kinds - set(MUTABLE)
    assert not unknown, unknown
    session.exec(delete(NotificationMute).where(col(NotificationMute.user_id) == user_id))
    if kinds:
        session.exec(
            insert(NotificationMute).values([{"user_id": user_id, "kind": k} for k in kinds])
        )
    session.commit()


def settings(*, session: Session, user_id: int) -> dict[str, bool]:
    """Each kind and whether `user_id` gets it, in the order the account page lists them."""
    off = muted(session=session, user_id=user_id)
    return {kind: kind not in off for kind in MUTABLE}
