"""Votes: one per person and post (or comment), with its counter moved in the same transaction.

Posts and comments vote the same way; a `_Kind` names the vote table, its key column and the
counted table, and one core does the rest.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.models import Comment, CommentVote, Post, User, Vote


@dataclass(frozen=True)
class _Kind:
    vote: Any  # the vote table: one row per (user_id, <key>)
    key: str  # its column naming what was voted for
    target: Any  # the table whose vote_count moves


_POST = _Kind(Vote, "post_id", Post)
_COMMENT = _Kind(CommentVote, "comment_id", Comment)


def _move(session: Session, kind: _Kind, target_id: int, by: int) -> None:
    target = kind.target
    session.exec(
        update(target).where(col(target.id) == target_id).values(vote_count=target.vote_count + by)
    )


def _add(session: Session, kind: _Kind, target_id: int, user: User) -> bool:
    values = {"user_id": user.id, kind.key: target_id, "created_at": datetime.now(UTC)}
    try:
        session.exec(insert(kind.vote).values(**values))
    except IntegrityError:
        session.rollback()
        return False
    _move(session, kind, target_id, +1)
    session.commit()
    return True


def _remove(session: Session, kind: _Kind, target_id: int, user: User) -> bool:
    result = session.exec(
        delete(kind.vote).where(
            col(kind.vote.user_id) == user.id, col(getattr(kind.vote, kind.key)) == target_id
        )
    )
    if not result.rowcount:
        session.rollback()
        return False
    _move(session, kind, target_id, -1)
    session.commit()
    return True


def _toggle(session: Session, kind: _Kind, target_id: int, user: User) -> bool:
    if _remove(session, kind, target_id, user):
        return False
    _add(session, kind, target_id, user)
    return True


def _count(session: Session, kind: _Kind, target_id: int) -> int:
    found = session.get(kind.target, target_id, populate_existing=True)
    return int(found.vote_count) if found else 0


def add(*, session: Session, post: Post, user: User) -> bool:
    """Vote once; False if the vote was already there. The counter moves in the same transaction."""
    assert post.id is not None
    return _add(session, _POST, post.id, user)


def remove(*, session: Session, post: Post, user: User) -> bool:
    """Withdraw a vote; False if there was none."""
    assert post.id is not None
    return _remove(session, _POST, post.id, user)


def toggle(*, session: Session, post: Post, user: User) -> bool:
    """Add the vote if absent, withdraw it if present; returns whether the user now votes."""
    assert post.id is not None
    return _toggle(session, _POST, post.id, user)


def count(*, session: Session, post_id: int) -> int:
    """The post's count as the database holds it now (0 once the post is gone)."""
    return _count(session, _POST, post_id)


def add_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Vote once for a comment; False if the vote was already there."""
    assert comment.id is not None
    return _add(session, _COMMENT, comment.id, user)


def remove_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Withdraw a vote for a comment; False if there was none."""
    assert comment.id is not None
    return _remove(session, _COMMENT, comment.id, user)


def toggle_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Add the comment vote if absent, withdraw it if present; whether the user now votes."""
    assert comment.id is not None
    return _toggle(session, _COMMENT, comment.id, user)


def comment_count(*, session: Session, comment_id: int) -> int:
    """The comment's vote count as the database holds it now."""
    return _count(session, _COMMENT, comment_id)
