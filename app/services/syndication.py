"""What the Atom feeds read beyond the listings: full posts by id, a post's newest comments, and
the secret address of a member's private notifications feed.

The listings themselves (Latest, Top, a tag's, an author's) are app.services.feeds; each feed
shows exactly what its page shows to a visitor, by the same rules.
"""

import secrets
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.db import HotQuery
from app.models import Comment, Post, User
from app.security import token_hash
from app.services import NotFound, changes, comments
from app.services.feeds import LISTING
from app.services.users import AVAILABLE

ENTRIES = 20  # entries a feed carries, newest (or best) first
NO_FEED = "There is no such feed."

# A page of posts in full, by id: the Top feed ranks on ids and votes only, like its page.
_BY_IDS = (
    select(*LISTING)  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
    .join(User, col(User.id) == Post.owner_id)
    .where(col(Post.id).in_(bindparam("ids", expanding=True)), col(Post.published).is_(True))
    .where(AVAILABLE)
)

# A post's newest comments that still show their words (comments.shows_words).
_COMMENTS = HotQuery(
    select(  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
        Comment.id,
        Comment.content,
        Comment.created_at,
        Comment.updated_at,
        col(User.username).label("author"),
    )
    .join(User, col(User.id) == Comment.author_id)
    .where(Comment.post_id == bindparam("post_id"), comments.shows_words_as(Comment, User))
    .order_by(col(Comment.created_at).desc(), col(Comment.id).desc())
    .limit(ENTRIES)
)


def posts_by_ids(engine: Engine, ids: list[int]) -> list[Any]:
    """The public posts among `ids` in full (LISTING rows), in the order of `ids`."""
    if not ids:
        return []
    with engine.connect() as connection:
        found = {row.id: row for row in connection.execute(_BY_IDS, {"ids": ids})}
    return [found[post_id] for post_id in ids if post_id in found]


def recent_comments(engine: Engine, post_id: int) -> list[Any]:
    """The post's ENTRIES newest comments that show their words, newest first."""
    return _COMMENTS.rows(engine, {"post_id": post_id})


def issue_token(*, session: Session, user: User) -> str:
    """A new secret for `user`'s notifications feed, replacing any old one (whose address stops
    working). Returned once: only its hash is stored."""
    token = secrets.token_urlsafe(32)
    user.feed_token_hash = token_hash(token)
    session.add(user)
    changes.bump(session, changes.user(user.id))
    session.commit()
    return token


def revoke_token(*, session: Session, user: User) -> None:
    """`user`'s notifications feed has no address any more."""
    user.feed_token_hash = None
    session.add(user)
    changes.bump(session, changes.user(user.id))
    session.commit()


def feed_owner(*, session: Session, token: str) -> User:
    """The available member whose notifications feed `token` opens; NotFound otherwise."""
    if not token or len(token) > 100:
        raise NotFound(NO_FEED)
    user = session.exec(select(User).where(User.feed_token_hash == token_hash(token))).first()
    if user is None or not user.is_active:
        raise NotFound(NO_FEED)
    return user
