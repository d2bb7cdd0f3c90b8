"""Votes: one per person and post (or comment), with its counter moved in the same transaction.

Posts and comments vote the same way; a `_Kind` names the vote table, its key column, the
counted table and the change scopes a vote moves, and one core does the rest (a post's votes
also tell its author of milestones).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import HotQuery
from app.models import Comment, CommentVote, Post, User, Vote
from app.services import changes, notifications, users


@dataclass(frozen=True)
class _Kind:
    vote: Any  # the vote table: one row per (user_id, <key>)
    key: str  # its column naming what was voted for
    target: Any  # the table whose vote_count moves
    # What a vote on a target changes (app.services.changes).
    scopes: Callable[[Any], tuple[str, ...]]


_POST = _Kind(Vote, "post_id", Post, lambda p: (changes.SITE, changes.post(p.id)))
_COMMENT = _Kind(
    CommentVote,
    "comment_id",
    Comment,
    lambda c: (changes.SITE, changes.post(c.post_id), changes.comment(c.id)),
)


def _move(session: Session, kind: _Kind, target: Any, by: int) -> None:
    table = kind.target
    session.exec(
        update(table).where(col(table.id) == target.id).values(vote_count=table.vote_count + by)
    )
    changes.bump(session, *kind.scopes(target))
    if kind is _POST and by > 0:
        # Read after our own write: the row lock (SQLite's one writer) makes this count exact.
        votes = session.exec(select(Post.vote_count).where(Post.id == target.id)).one()
        notifications.vote_reached(
            session=session, post_id=target.id, owner_id=target.owner_id, votes=int(votes)
        )


def _add(session: Session, kind: _Kind, target: Any, user: User) -> bool:
    users.may_act(session, user)  # EMAIL_VERIFICATION=required: a verified address first
    values = {"user_id": user.id, kind.key: target.id, "created_at": datetime.now(UTC)}
    try:
        session.exec(insert(kind.vote).values(**values))
    except IntegrityError:
        session.rollback()
        return False
    _move(session, kind, target, +1)
    session.commit()
    return True


def _remove(session: Session, kind: _Kind, target: Any, user: User) -> bool:
    result = session.exec(
        delete(kind.vote).where(
            col(kind.vote.user_id) == user.id, col(getattr(kind.vote, kind.key)) == target.id
        )
    )
    if not result.rowcount:
        session.rollback()
        return False
    _move(session, kind, target, -1)
    session.commit()
    return True


def _toggle(session: Session, kind: _Kind, target: Any, user: User) -> bool:
    if _remove(session, kind, target, user):
        return False
    _add(session, kind, target, user)
    return True


def _count(session: Session, kind: _Kind, target_id: int) -> int:
    found = session.get(kind.target, target_id, populate_existing=True)
    return int(found.vote_count) if found else 0


def add(*, session: Session, post: Post, user: User) -> bool:
    """Vote once; False if the vote was already there. The counter moves in the same transaction."""
    assert post.id is not None
    return _add(session, _POST, post, user)


def remove(*, session: Session, post: Post, user: User) -> bool:
    """Withdraw a vote; False if there was none."""
    assert post.id is not None
    return _remove(session, _POST, post, user)


def toggle(*, session: Session, post: Post, user: User) -> bool:
    """Add the vote if absent, withdraw it if present; returns whether the user now votes."""
    assert post.id is not None
    return _toggle(session, _POST, post, user)


def count(*, session: Session, post_id: int) -> int:
    """The post's count as the database holds it now (0 once the post is gone)."""
    return _count(session, _POST, post_id)


# A page's worth of ids in fixed placeholders, so the read is a HotQuery compiled once: with
# an expanding IN the Core builds and compiles the statement on every page a member sees,
# which was a third of the logged-in feed's time (docs/performance.md). Unused places hold 0,
# which no row has; a longer list is read in chunks of this size.
_VOTED_CHUNK = 20
_VOTED = HotQuery(
    select(Vote.post_id).where(
        Vote.user_id == bindparam("user_id"),
        col(Vote.post_id).in_([bindparam(f"p{i}") for i in range(_VOTED_CHUNK)]),
    )
)


def voted_among(*, engine: Engine, user_id: int, post_ids: Iterable[int]) -> frozenset[int]:
    """Which of `post_ids` the user votes for: one indexed read for a whole page of cards."""
    # Asked even for an empty page: a page costs the same statements whatever it holds.
    wanted = list(post_ids) or [0]
    found: set[int] = set()
    for start in range(0, len(wanted), _VOTED_CHUNK):
        chunk = wanted[start : start + _VOTED_CHUNK]
        params = {f"p{i}": chunk[i] if i < len(chunk) else 0 for i in range(_VOTED_CHUNK)}
        found.update(row.post_id for row in _VOTED.rows(engine, {"user_id": user_id, **params}))
    return frozenset(found)


# A member's votes among one post's comments, whatever page of them is shown: the post's
# comments (by the comment table's post index), each probed in the (user, comment) key.
_COMMENTS_VOTED = HotQuery(
    select(CommentVote.comment_id).where(
        CommentVote.user_id == bindparam("user_id"),
        col(CommentVote.comment_id).in_(
            select(Comment.id).where(Comment.post_id == bindparam("post_id"))
        ),
    )
)


def comments_voted(*, engine: Engine, user_id: int, post_id: int) -> frozenset[int]:
    """Which of the post's comments the user votes for: one read, for a kept thread's holes
    (app.templating.fill; a thread drawn whole reads each vote with its comment)."""
    rows = _COMMENTS_VOTED.rows(engine, {"user_id": user_id, "post_id": post_id})
    return frozenset(row.comment_id for row in rows)


def add_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Vote once for a comment; False if the vote was already there."""
    assert comment.id is not None
    return _add(session, _COMMENT, comment, user)


def remove_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Withdraw a vote for a comment; False if there was none."""
    assert comment.id is not None
    return _remove(session, _COMMENT, comment, user)


def toggle_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Add the comment vote if absent, withdraw it if present; whether the user now votes."""
    assert comment.id is not None
    return _toggle(session, _COMMENT, comment, user)


def comment_count(*, session: Session, comment_id: int) -> int:
    """The comment's vote count as the database holds it now."""
    return _count(session, _COMMENT, comment_id)
