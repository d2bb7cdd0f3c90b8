"""Each tag's stored count of public posts (`Tag.public_posts`), kept in step by the few writes
that make a post public or not: publish, unpublish, hide, restore, delete, and an author's
account leaving or coming back (app.services.posts, admin, users).

Counting every tag's uses when /tags is read walks all of post_tag (12 s at 1M posts); with the
count stored, /tags reads the tag table alone (docs/performance.md, "Tags by use"). Each write
runs in its caller's transaction while the posts still carry their tags. A leaf module (models
only), so the account services can call it without importing the tag rules.
"""

from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.models import Post, PostTag, Tag


def count_public(session: Session, post_ids: Any, by: int) -> None:
    """Move `Tag.public_posts` by `by` for each of the posts `post_ids` (a select of ids)
    carries: 1 as they become public with an available author, -1 as they stop."""
    # The posts' links counted per tag once, then one UPDATE .. FROM: a correlated count per
    # tag read the author's posts again for each of their tags (seconds for a busy author).
    uses = (
        select(PostTag.tag_id, func.count().label("n"))
        .where(col(PostTag.post_id).in_(post_ids))
        .group_by(col(PostTag.tag_id))
        .subquery("uses")
    )
    session.exec(
        update(Tag)
        .where(col(Tag.id) == uses.c.tag_id)
        .values(public_posts=Tag.public_posts + by * uses.c.n)
    )


def count_author(session: Session, user_id: int, by: int) -> None:
    """`count_public` for an author's public posts, as their account leaves or comes back."""
    mine = select(Post.id).where(Post.owner_id == user_id, col(Post.published).is_(True))
    count_public(session, mine, by)
