"""Mutes and blocks: what one member no longer wants of another.

A mute takes the other's posts out of my feeds and searches, folds their comments to one line
in threads and stops their notifications to me. A block is a mute and more: they cannot reply
to me or follow me, my posts answer 404 to them, and any follow between us ends. The listings
read the table through app.services.filters; the blocked person is never told.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.db import dialect_insert, engine_of
from app.models import Block, Follow, User, Viewer
from app.pagination import Page, paginate
from app.services import DomainError, Forbidden, changes, notifications

MUTE = "mute"
BLOCK = "block"
KINDS = (MUTE, BLOCK)
# Neutral on purpose: the blocked person learns nothing they could not guess.
CANNOT_REPLY = "You can't reply here."
CANNOT_FOLLOW = "You can't follow this account."


class CannotBlock(DomainError):
    """Muting or blocking yourself."""


def kind_between(*, session: Session, user: User | Viewer, other: User) -> str | None:
    """ "mute", "block" or None: what `user` holds against `other`."""
    row = session.get(Block, (user.id, other.id))
    return row.kind if row is not None else None


def has_blocked(session: Session, user_id: int | None, other_id: int | None) -> bool:
    """Whether `user_id` blocked `other_id` (not a mere mute)."""
    row = session.get(Block, (user_id, other_id))
    return row is not None and row.kind == BLOCK


def refuse_reply(session: Session, *, author_id: int, to_ids: list[int | None]) -> None:
    """Forbidden if anyone in `to_ids` (the post's author, the parent's) blocked `author_id`."""
    for to_id in to_ids:
        if to_id is not None and to_id != author_id and has_blocked(session, to_id, author_id):
            raise Forbidden(CANNOT_REPLY)


def set_kind(*, session: Session, user: User, other: User, kind: str) -> bool:
    """Mute or block `other` and commit; False if that was so already.

    Blocking someone muted makes it a block; muting someone blocked leaves the block. In the
    same transaction: their unread notifications to `user` are marked read and (a block) the
    follows between them end.
    """
    assert kind in KINDS, kind
    if user.id == other.id:
        raise CannotBlock(f"You cannot {kind} yourself.")
    current = kind_between(session=session, user=user, other=other)
    if current == kind or (current == BLOCK and kind == MUTE):
        return False
    now = datetime.now(UTC)
    session.exec(
        dialect_insert(engine_of(session))(Block)
        .values(user_id=user.id, other_id=other.id, kind=kind, created_at=now)
        .on_conflict_do_update(
            index_elements=[col(Block.user_id), col(Block.other_id)],
            set_={"kind": kind, "created_at": now},
        )
    )
    assert user.id is not None and other.id is not None
    notifications.mark_read_from(session=session, user_id=user.id, actor_id=other.id)
    # Both sides' listings change (theirs lose `user`'s posts on a block); neither is told.
    scopes = [changes.user(user.id), changes.user(other.id)]
    if kind == BLOCK:
        session.exec(
            delete(Follow).where(
                or_(
                    (col(Follow.follower_id) == user.id) & (col(Follow.followed_id) == other.id),
                    (col(Follow.follower_id) == other.id) & (col(Follow.followed_id) == user.id),
                )
            )
        )
    changes.bump(session, *scopes)
    session.commit()
    return True


def unset(*, session: Session, user: User, other: User, kind: str) -> bool:
    """Undo a mute or a block (`kind` names which) and commit; False if there was none."""
    assert kind in KINDS, kind
    result = session.exec(
        delete(Block).where(
            col(Block.user_id) == user.id, col(Block.other_id) == other.id, col(Block.kind) == kind
        )
    )
    if result.rowcount:
        changes.bump(session, changes.user(user.id), changes.user(other.id))
    session.commit()
    return bool(result.rowcount)


@dataclass(frozen=True)
class Entry:
    username: str
    kind: str
    created_at: datetime


def listing(*, session: Session, user: User, page: int = 1) -> Page:
    """The people `user` muted or blocked, latest first, as `Entry`s (the account page)."""
    stmt = (
        select(User.username, Block.kind, Block.created_at)
        .join(User, col(User.id) == Block.other_id)
        .where(Block.user_id == user.id)
        .order_by(col(Block.created_at).desc(), col(User.id).desc())
    )
    found = paginate(session, stmt, page)
    items = [Entry(row[0], row[1], row[2]) for row in found.items]
    return Page(items=items, number=found.number, has_next=found.has_next)


def export(*, session: Session, user: User) -> list[dict[str, Any]]:
    """Everyone `user` muted or blocked, for their data export."""
    rows = session.exec(
        select(User.username, Block.kind, Block.created_at)
        .join(User, col(User.id) == Block.other_id)
        .where(Block.user_id == user.id)
        .order_by(col(Block.created_at))
    ).all()
    return [
        {"username": r[0], "kind": r[1], "since": r[2].isoformat(timespec="seconds")} for r in rows
    ]
