"""Mentions: the `@name`s of a post or comment, stored by user id when the item is written.

A name is resolved once, when it first appears in the item; later edits keep whom it named, so
a rename changes the name shown (pages render the current username) and never hands the
mention to whoever takes the old name.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.models import Comment, Mention, Post, User
from app.rendering import Mentioned, mentioned_names
from app.services import notifications
from app.services.users import AVAILABLE

NOTIFY_MAX = 10  # people told per item, however many it names
LINK_MAX = 100  # names linked per item; the rest stay text


def _item(post_id: int, comment_id: int | None) -> Any:
    return (
        col(Mention.comment_id) == comment_id
        if comment_id is not None
        else col(Mention.comment_id).is_(None)
    ) & (col(Mention.post_id) == post_id)


def record(
    *,
    session: Session,
    author: User,
    post: Post,
    comment: Comment | None = None,
    public: bool,
    told: Iterable[int] = (),
    created: bool = False,
) -> None:
    """Store whom the item's text names now, in the caller's transaction; if the item is
    `public`, tell those not told yet (up to NOTIFY_MAX per item, never the author, nor the
    people in `told`, who heard of this item already). `created`: the item was written in
    this transaction, so it has no mentions stored yet."""
    assert post.id is not None
    comment_id = comment.id if comment is not None else None
    text = comment.content if comment is not None else post.content
    names = mentioned_names(text)[:LINK_MAX]
    rows = [] if created else list(session.exec(select(Mention).where(_item(post.id, comment_id))))
    if not names and not rows:
        return  # no one named, now or before: nothing to store, no one to tell
    by_name = {row.name_key: row for row in rows}
    new = [name for name in names if name not in by_name]
    found: dict[str, int | None] = (
        {
            user.username_key: user.id
            for user in session.exec(select(User).where(col(User.username_key).in_(new), AVAILABLE))
        }
        if new
        else {}
    )
    kept = set(names)
    for row in rows:
        if row.name_key not in kept:
            session.delete(row)
    for name in new:
        user_id = found.get(name)
        if user_id is not None:
            session.add(
                Mention(post_id=post.id, comment_id=comment_id, user_id=user_id, name_key=name)
            )
    session.flush()
    if public:
        _notify(session=session, author=author, post=post, comment_id=comment_id, told=told)


def _notify(
    *, session: Session, author: User, post: Post, comment_id: int | None, told: Iterable[int]
) -> None:
    assert post.id is not None
    rows = session.exec(
        select(Mention).where(_item(post.id, comment_id)).order_by(col(Mention.id))
    ).all()
    quiet = {author.id, *told}
    already = {row.user_id for row in rows if row.notified} - quiet
    budget = NOTIFY_MAX - len(already)
    quiet |= already  # named again (after a rename, say), not news again
    recipients: list[int] = []
    for row in rows:
        if row.notified:
            continue
        # Told now, or never: over the cap a name stays linked, and no edit tells them later.
        row.notified = True
        session.add(row)
        if row.user_id not in quiet and len(recipients) < budget:
            recipients.append(row.user_id)
            quiet.add(row.user_id)
    session.flush()
    notifications.add_many(
        session=session,
        recipient_ids=recipients,
        kind="mention",
        actor_id=author.id,
        post_id=post.id,
        comment_id=comment_id,
    )


def linked(
    engine: Engine, *, post_id: int, comment_ids: Iterable[int] = (), post: bool = False
) -> dict[int | None, Mentioned]:
    """The names each item's mentions link under now (`None`: the post itself, if `post`),
    for rendering; people who are not available are left out, so their names stay text."""
    ids = list(comment_ids)
    if not ids and not post:
        return {}
    which: Any = col(Mention.comment_id).in_(ids)
    if post:
        which = which | col(Mention.comment_id).is_(None)
    stmt = (
        select(Mention.comment_id, Mention.name_key, User.username)
        .join(User, col(User.id) == Mention.user_id)
        .where(Mention.post_id == post_id, which, AVAILABLE)
        .order_by(col(Mention.comment_id), col(Mention.name_key))
    )
    return _grouped(engine, stmt)


def linked_posts(engine: Engine, post_ids: Iterable[int]) -> dict[int, Mentioned]:
    """`linked` for the posts themselves (not their comments), many posts in one read: for a
    listing that shows posts in full, such as an Atom feed."""
    ids = list(post_ids)
    if not ids:
        return {}
    stmt = (
        select(Mention.post_id, Mention.name_key, User.username)
        .join(User, col(User.id) == Mention.user_id)
        .where(col(Mention.post_id).in_(ids), col(Mention.comment_id).is_(None), AVAILABLE)
        .order_by(col(Mention.post_id), col(Mention.name_key))
    )
    return _grouped(engine, stmt)


def _grouped(engine: Engine, stmt: Any) -> dict[Any, Mentioned]:
    """(item, name_key, username) rows as {item: Mentioned}, the render cache's key part."""
    found: dict[Any, list[tuple[str, str]]] = {}
    with engine.connect() as connection:
        for item, name_key, username in connection.execute(stmt):
            found.setdefault(item, []).append((name_key, username))
    return {key: tuple(pairs) for key, pairs in found.items()}


def preview(*, session: Session, text: str) -> Mentioned:
    """The names a draft's mentions would link under, resolved now (for a preview)."""
    names = mentioned_names(text)[:LINK_MAX]
    if not names:
        return ()
    users = session.exec(select(User).where(col(User.username_key).in_(names), AVAILABLE)).all()
    return tuple(sorted((user.username_key, user.username) for user in users))
