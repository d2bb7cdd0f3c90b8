"""What an account's deletion or suspension does to comments: a leaf module, so
app.services.users and app.services.admin can call it.

Deleting an account never deletes other people's words: the account's comments that have
replies become "[deleted]" (author gone, text erased), the others go, and every counter their
rows fed (posts' comment counts, comments' vote counts) is corrected in the caller's transaction.
Suspending one takes its comments out of the posts' comment counts (they are gone from view,
`users.available`), and lifting the suspension puts them back, in the caller's transaction too.
"""

from typing import Any

from sqlalchemy import delete, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.models import Comment, CommentVote, Post


def _lower_counts(session: Session, *where: Any, by: int = -1) -> None:
    """Move each post's comment count by `by` per standing comment matching `where` on it."""
    standing = (
        select(func.count())
        .select_from(Comment)
        .where(*where, col(Comment.deleted).is_(False), col(Comment.post_id) == Post.id)
        .scalar_subquery()
    )
    session.exec(
        update(Post)
        .where(col(Post.id).in_(select(Comment.post_id).where(*where)))
        .values(comment_count=Post.comment_count + by * standing)
    )


def set_counted(*, session: Session, user_id: int, counted: bool) -> None:
    """Take the account's standing comments out of the posts' counts (`counted` False, on
    suspension) or put them back (when it is lifted)."""
    _lower_counts(session, col(Comment.author_id) == user_id, by=1 if counted else -1)


def forget(*, session: Session, user_id: int, counted: bool = True) -> None:
    """Detach `user_id` from every comment and vote on comments, before the account row goes.

    `counted` False: the account is suspended, so its comments already left the counts."""
    voted = select(CommentVote.comment_id).where(CommentVote.user_id == user_id)
    session.exec(
        update(Comment).where(col(Comment.id).in_(voted)).values(vote_count=Comment.vote_count - 1)
    )
    # Comments on the account's own posts go with those posts (ON DELETE CASCADE).
    # An alias: inside the UPDATE of `post` below, a plain `post` here would be correlated to it.
    mine = aliased(Post, name="mine")
    own_posts = select(mine.id).where(mine.owner_id == user_id)
    theirs = (
        col(Comment.author_id) == user_id,
        col(Comment.post_id).not_in(own_posts),
    )
    if counted:
        _lower_counts(session, *theirs)
    reply = aliased(Comment, name="reply")
    answered = exists().where(col(reply.parent_id) == Comment.id)
    session.exec(
        update(Comment).where(*theirs, answered).values(deleted=True, author_id=None, content="")
    )
    session.exec(delete(Comment).where(*theirs))
