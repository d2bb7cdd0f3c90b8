"""Votes: one per person and post (or comment), with its counter moved in the same transaction."""

from datetime import UTC, datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.models import Comment, CommentVote, Post, User, Vote
from app.services import users


def add(*, session: Session, post: Post, user: User) -> bool:
    """Vote once; False if the vote was already there. The counter moves in the same transaction."""
    users.may_act(session, user)
    try:
        session.exec(
            insert(Vote).values(
                user_id=user.id,
                post_id=post.id,
                created_at=datetime.now(UTC),
            )
        )
    except IntegrityError:
        session.rollback()
        return False
    session.exec(update(Post).where(col(Post.id) == post.id).values(vote_count=Post.vote_count + 1))
    session.commit()
    return True


def remove(*, session: Session, post: Post, user: User) -> bool:
    """Withdraw a vote; False if there was none."""
    result = session.exec(
        delete(Vote).where(col(Vote.user_id) == user.id, col(Vote.post_id) == post.id)
    )
    if not result.rowcount:
        session.rollback()
        return False
    session.exec(update(Post).where(col(Post.id) == post.id).values(vote_count=Post.vote_count - 1))
    session.commit()
    return True


def toggle(*, session: Session, post: Post, user: User) -> bool:
    """Add the vote if absent, withdraw it if present; returns whether the user now votes."""
    if remove(session=session, post=post, user=user):
        return False
    add(session=session, post=post, user=user)
    return True


def count(*, session: Session, post_id: int) -> int:
    """The post's count as the database holds it now (0 once the post is gone)."""
    post = session.get(Post, post_id, populate_existing=True)
    return post.vote_count if post else 0


def add_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Vote once for a comment; False if the vote was already there."""
    users.may_act(session, user)
    try:
        session.exec(
            insert(CommentVote).values(
                user_id=user.id,
                comment_id=comment.id,
                created_at=datetime.now(UTC),
            )
        )
    except IntegrityError:
        session.rollback()
        return False
    session.exec(
        update(Comment)
        .where(col(Comment.id) == comment.id)
        .values(vote_count=Comment.vote_count + 1)
    )
    session.commit()
    return True


def remove_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Withdraw a vote for a comment; False if there was none."""
    result = session.exec(
        delete(CommentVote).where(
            col(CommentVote.user_id) == user.id, col(CommentVote.comment_id) == comment.id
        )
    )
    if not result.rowcount:
        session.rollback()
        return False
    session.exec(
        update(Comment)
        .where(col(Comment.id) == comment.id)
        .values(vote_count=Comment.vote_count - 1)
    )
    session.commit()
    return True


def toggle_for_comment(*, session: Session, comment: Comment, user: User) -> bool:
    """Add the comment vote if absent, withdraw it if present; whether the user now votes."""
    if remove_for_comment(session=session, comment=comment, user=user):
        return False
    add_for_comment(session=session, comment=comment, user=user)
    return True


def comment_count(*, session: Session, comment_id: int) -> int:
    """The comment's vote count as the database holds it now."""
    comment = session.get(Comment, comment_id, populate_existing=True)
    return comment.vote_count if comment else 0
