"""What the sitemap lists: published posts by available authors, and available people's profiles.

The same rules as every public list (`posts.PUBLIC`, `users.AVAILABLE`): a draft, a hidden post
or a suspended account is in no sitemap. Past `LIMIT` addresses the sitemap becomes an index
of child sitemaps of at most `LIMIT` each, the most a sitemap may hold (sitemaps.org).
"""

from datetime import datetime
from typing import Literal

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.models import Post, User
from app.services.posts import PUBLIC
from app.services.users import AVAILABLE

LIMIT = 50_000
Kind = Literal["posts", "people"]
KINDS: tuple[Kind, ...] = ("posts", "people")


def counts(*, engine: Engine) -> dict[Kind, int]:
    """How many public posts and profiles there are: enough to lay out the index."""
    posts = select(func.count()).select_from(Post).join(User, col(User.id) == Post.owner_id)
    people = select(func.count()).select_from(User).where(AVAILABLE)
    with engine.connect() as connection:
        return {
            "posts": int(connection.execute(posts.where(PUBLIC, AVAILABLE)).scalar_one()),
            "people": int(connection.execute(people).scalar_one()),
        }


def entries(*, engine: Engine, kind: Kind, page: int = 1) -> list[tuple[str, datetime | None]]:
    """One child sitemap's addresses (paths) with their last change, oldest first."""
    start = (page - 1) * LIMIT
    if kind == "posts":
        stmt = (
            select(Post.id, Post.updated_at)
            .join(User, col(User.id) == Post.owner_id)
            .where(PUBLIC, AVAILABLE)
            .order_by(col(Post.id))
        )
        with engine.connect() as connection:
            rows = connection.execute(stmt.offset(start).limit(LIMIT)).all()
        return [(f"/posts/{row.id}", row.updated_at) for row in rows]
    people = select(User.username).where(AVAILABLE).order_by(col(User.id))
    with engine.connect() as connection:
        names = connection.execute(people.offset(start).limit(LIMIT)).scalars().all()
    return [(f"/users/{name}", None) for name in names]


def pages(total: int) -> int:
    """How many child sitemaps `total` addresses take (at least one, empty or not)."""
    return max(1, -(-total // LIMIT))
