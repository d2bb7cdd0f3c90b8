"""Comments: who may see, write, change and remove them, with each post's counter kept right.

Reads of whole threads are in app.services.threads; votes on comments in app.services.votes.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, update
from sqlmodel import Session, col, select

from app.models import Comment, Post, User, Viewer
from app.services import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    audit,
    blocks,
    changes,
    mentions,
    modlog,
    newcomers,
    notifications,
    posts,
    report_outcomes,
    users,
)
from app.services.validation import clean_comment

# The same words from the same person under the same parent within this long are one comment
# sent twice (a double click, a resent form), not two.
REPEAT_WINDOW = timedelta(seconds=10)
NOT_FOUND = "That comment does not exist."
PENDING = "Members reported this comment; it is awaiting a moderator."


def shows_words(comment: Comment, author: User | None) -> bool:
    """Whether a comment still shows its text: not deleted, removed or set aside for review
    (`pending_at` sets `deleted` with it), by an available author."""
    return not comment.deleted and users.available(author)


def shows_words_as(comment: Any, author: Any) -> Any:
    """`shows_words` as a condition on a comment table and its author's user table (or aliases)."""
    return col(comment.deleted).is_(False) & users.available_as(author)


def get_visible(
    *, session: Session, comment_id: int, viewer: User | Viewer | None
) -> tuple[Comment, Post]:
    """The comment and its post if the viewer may see the post (`posts.visible_to`) and its
    author is available (`users.available`); 404 otherwise, as if it never was."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(NOT_FOUND)
    if comment.author_id is not None and not users.available(session.get(User, comment.author_id)):
        raise NotFound(NOT_FOUND)  # an unavailable account's words are gone from view
    try:
        post, _ = posts.get_visible(session=session, post_id=comment.post_id, viewer=viewer)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    return comment, post


def stands(session: Session, comment: Comment) -> bool:
    """`shows_words` for a comment row of `session`: whether others may read it and answer."""
    author = session.get(User, comment.author_id) if comment.author_id is not None else None
    return shows_words(comment, author)


def get_owned(*, session: Session, comment_id: int, user: User) -> Comment:
    """The comment if `user` wrote it and it still stands: 404 if they may not see it, 403 if
    it is someone else's."""
    comment, _ = get_visible(session=session, comment_id=comment_id, viewer=user)
    if comment.deleted:
        raise NotFound(PENDING if comment.pending_at else "That comment was deleted.")
    if comment.author_id != user.id:
        raise Forbidden("Only the author can change this comment.")
    return comment


def get_removable(*, session: Session, comment_id: int, user: User) -> Comment:
    """A standing comment a moderator may remove: on a public post. 404 for anyone else."""
    comment, post = get_visible(session=session, comment_id=comment_id, viewer=user)
    if not posts.may_moderate(user) or not posts.is_public(post) or comment.deleted:
        raise NotFound(NOT_FOUND)
    return comment


def get_votable(*, session: Session, comment_id: int, user: User | Viewer) -> Comment:
    """A standing comment `user` may vote on: one they may see (404), not their own (403)."""
    comment, _ = get_visible(session=session, comment_id=comment_id, viewer=user)
    if not stands(session, comment):
        raise NotFound("That comment was deleted.")
    if comment.author_id == user.id:
        raise Forbidden("You cannot vote for your own comment.")
    return comment


def _move_count(session: Session, post_id: int, by: int, *, public_only: bool = True) -> int:
    """Move the post's comment counter inside the caller's transaction; rows changed (0: a new
    comment's post is not public any more). It is the first write of every comment change, so
    it also makes comment writes on one post take turns (a row lock; SQLite's one writer)."""
    stmt = update(Post).where(col(Post.id) == post_id)
    if by > 0 and public_only:
        stmt = stmt.where(col(Post.published).is_(True))
    result = session.exec(stmt.values(comment_count=Post.comment_count + by))
    return int(result.rowcount)


def _still_available(session: Session, author_id: int) -> bool:
    """Whether the author's account is available, holding it so for this transaction: a
    suspension waits for this comment (and then takes it out of the count) or has already
    committed, and the comment is refused (PostgreSQL; SQLite has one writer at a time)."""
    found = session.exec(
        select(User.id).where(User.id == author_id, users.AVAILABLE).with_for_update(read=True)
    ).first()
    return found is not None


def _parent(session: Session, post: Post, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = session.get(Comment, parent_id)
    if parent is None or parent.post_id != post.id:
        raise ValidationFailed({"parent_id": "The comment you reply to is not on this post."})
    if not stands(session, parent):
        raise ValidationFailed(
            {"parent_id": "The comment you reply to was deleted; reply to the post instead."}
        )
    return parent


def write(
    *, session: Session, author: User, post: Post, content: str, parent_id: int | None = None
) -> Comment:
    """Add a comment (a reply when `parent_id` is given) to `session`, flushed, uncommitted.

    Everything that announces a comment (notifications) joins this transaction before the
    caller commits: `create` is that caller. Raises ValidationFailed for bad content or parent,
    Conflict when the post does not take comments or the same comment was just sent.
    """
    if not posts.is_public(post):
        raise Conflict("Comments open once the post is published.")
    users.may_act(session, author)
    limits = newcomers.hold(session, author)
    try:
        content = clean_comment(content)
    except ValueError as exc:
        raise ValidationFailed({"content": str(exc)}) from None
    parent = _parent(session, post, parent_id)
    assert post.id is not None and author.id is not None
    to: list[int | None] = [post.owner_id, parent.author_id if parent is not None else None]
    blocks.refuse_reply(session, author_id=author.id, to_ids=to)
    if not _still_available(session, author.id):
        session.rollback()
        raise Conflict("This account cannot comment now.")
    if not _move_count(session, post.id, +1):
        session.rollback()
        raise Conflict("Comments open once the post is published.")
    now = datetime.now(UTC)
    # Read after the counter's write: a second copy sent at the same moment waits for the
    # first to commit, then sees it.
    same_parent = (
        col(Comment.parent_id) == parent_id
        if parent_id is not None
        else col(Comment.parent_id).is_(None)
    )
    repeated = session.exec(
        select(Comment.id).where(
            Comment.post_id == post.id,
            Comment.author_id == author.id,
            same_parent,
            Comment.content == content,
            col(Comment.created_at) > now - REPEAT_WINDOW,
        )
    ).first()
    if repeated is not None:
        session.rollback()
        raise Conflict("You just posted this comment; it is there already.")
    comment = Comment(
        post_id=post.id,
        author_id=author.id,
        parent_id=parent_id,
        root_id=parent.root_id if parent is not None else None,
        depth=parent.depth + 1 if parent is not None else 0,
        content=content,
        created_at=now,
        updated_at=now,
    )
    session.add(comment)
    session.flush()
    newcomers.check(session, author, "comments", limits)
    if comment.root_id is None:
        comment.root_id = comment.id
        session.flush()
    told = _announce(session, comment, post, parent)
    mentions.record(
        session=session,
        author=author,
        post=post,
        comment=comment,
        public=True,
        told=told,
        created=True,
    )
    return comment


def _announce(session: Session, comment: Comment, post: Post, parent: Comment | None) -> set[int]:
    """Tell the author of the post (a top-level comment) or of the parent (a reply); whom."""
    recipient = parent.author_id if parent is not None else post.owner_id
    kind = "reply_comment" if parent is not None else "reply_post"
    if recipient is None:
        return set()
    notifications.add(
        session=session,
        recipient_id=recipient,
        kind=kind,
        actor_id=comment.author_id,
        post_id=post.id,
        comment_id=comment.id,
    )
    return {recipient}


def create(
    *, session: Session, author: User, post: Post, content: str, parent_id: int | None = None
) -> Comment:
    """Write a comment and commit it (see `write`)."""
    comment = write(session=session, author=author, post=post, content=content, parent_id=parent_id)
    _bump(session, comment)
    session.commit()
    return comment


def edit(*, session: Session, comment: Comment, content: str) -> Comment:
    """The author changes their comment's text; pages then say it was edited. Only people it
    names for the first time are told of the mention."""
    try:
        comment.content = clean_comment(content)
    except ValueError as exc:
        raise ValidationFailed({"content": str(exc)}) from None
    comment.updated_at = datetime.now(UTC)
    session.add(comment)
    _bump(session, comment)
    post = session.get(Post, comment.post_id)
    author = session.get(User, comment.author_id) if comment.author_id is not None else None
    if post is not None and author is not None:
        mentions.record(
            session=session, author=author, post=post, comment=comment, public=posts.is_public(post)
        )
    session.commit()
    return comment


def _bump(session: Session, comment: Comment) -> None:
    changes.bump(session, changes.SITE, changes.post(comment.post_id), changes.comment(comment.id))


def edited(comment: object) -> bool:
    """Whether a comment (or a row of one) was changed after it was written."""
    return bool(comment.updated_at > comment.created_at)  # type: ignore[attr-defined]


def _has_replies(session: Session, comment: Comment) -> bool:
    return bool(session.exec(select(exists().where(col(Comment.parent_id) == comment.id))).one())


def delete_own(*, session: Session, comment: Comment) -> None:
    """The author deletes their comment: with replies it stays as "[deleted]" (no author, no
    text) so the thread keeps its shape; without, it is gone, and so is any "[deleted]"
    ancestor it leaves without replies."""
    _move_count(session, comment.post_id, -1)
    _bump(session, comment)
    if _has_replies(session, comment):
        comment.deleted, comment.author_id, comment.content = True, None, ""
        session.add(comment)
    else:
        _drop(session, comment)
    session.commit()


def _drop(session: Session, comment: Comment) -> None:
    """Delete a comment without replies, then each "[deleted]" ancestor left without any."""
    parent_id = comment.parent_id
    session.exec(delete(Comment).where(col(Comment.id) == comment.id))
    while parent_id is not None:
        parent = session.get(Comment, parent_id)
        if (
            parent is None
            or not parent.deleted
            or parent.removed_reason is not None
            or parent.pending_at is not None  # awaiting a moderator, its words kept
            or _has_replies(session, parent)
        ):
            return
        parent_id = parent.parent_id
        session.exec(delete(Comment).where(col(Comment.id) == parent.id))
        session.expunge(parent)


def remove(*, session: Session, comment: Comment, actor: User, reason: str) -> None:
    """A moderator removes someone's comment, with a reason its author reads in its place.

    The comment keeps its place in the thread (its text erased, the words kept in the audit
    log); the removal is audited and publicly logged in the same transaction. A comment set
    aside for review left the count already.
    """
    if not posts.may_moderate(actor):
        raise Forbidden("Only moderators and administrators remove comments.")
    reason = posts.clean_reason(reason)
    before = audit.comment_values(comment)
    audit.record(
        session=session,
        actor=actor,
        action="comment.remove",
        target=comment,
        before=before,
        after={"removed": True, "reason": reason},
    )
    if comment.pending_at is None:
        _move_count(session, comment.post_id, -1)
    comment.deleted, comment.removed_reason, comment.content = True, reason, ""
    comment.pending_at = None
    author = session.get(User, comment.author_id) if comment.author_id is not None else None
    modlog.record(
        session=session, action="removed", item_type="comment", author=author, reason=reason
    )
    report_outcomes.settle(
        session=session, item_type="comment", item_id=comment.id, outcome="hidden"
    )
    session.add(comment)
    _bump(session, comment)
    session.commit()


def set_aside(*, session: Session, comment: Comment, at: datetime) -> None:
    """Members' reports take a standing comment out of view until a moderator decides
    (app.services.reports): it stops standing (`deleted`, its words kept) and leaves the
    count, in the caller's transaction. Audited as the site's own doing; not a decision, so
    not in the public log."""
    if not comment.deleted:
        audit.record(
            session=session,
            actor=None,
            action="comment.pend",
            target=comment,
            before={"status": "standing"},
            after={"status": "pending review"},
            system=True,
        )
        _move_count(session, comment.post_id, -1)
        comment.deleted, comment.pending_at = True, at
        session.add(comment)
        _bump(session, comment)


def give_back(*, session: Session, comment: Comment) -> None:
    """A moderator found nothing wrong with a comment set aside: it stands and counts again
    (even while its post is not public, so the count is right when the post returns)."""
    if comment.pending_at is not None:
        _move_count(session, comment.post_id, +1, public_only=False)
        comment.deleted, comment.pending_at = False, None
        session.add(comment)
        _bump(session, comment)


def count(*, session: Session, post_id: int) -> int:
    """The post's comment counter as the database holds it now."""
    found = session.exec(select(Post.comment_count).where(Post.id == post_id)).first()
    return int(found or 0)


def standing(*, session: Session, post_id: int) -> int:
    """How many comments of the post show their words, counted (tests check the counter)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Comment)
            .where(Comment.post_id == post_id, col(Comment.deleted).is_(False))
        ).one()
    )
