"""Where a comment is: the page a permalink (`/comments/{id}`) leads to.

Found as a reader would find it: on its root's page of the post's threads, else down the
"Continue this thread" links from there (app.services.threads), one view per cut. A view always
holds its top level, so each step goes at least one level deeper.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.models import Comment, UTCDateTime
from app.services import threads


@dataclass(frozen=True)
class Place:
    """Where a comment shows (oldest first): page `page` of its post's threads, or, past what
    those hold, page `page` of the subthread of the comment `parent_id`."""

    page: int
    parent_id: int | None = None


def _ancestors() -> Any:
    """A comment and each comment above it, up to its thread's top."""
    line = select(Comment.id, Comment.parent_id, Comment.depth, Comment.created_at)
    walk = line.where(Comment.id == bindparam("comment_id")).cte("path", recursive=True)
    up = aliased(Comment, name="up")
    walk = walk.union_all(
        select(up.id, up.parent_id, up.depth, up.created_at).join(
            walk, col(up.id) == walk.c.parent_id
        )
    )
    return select(walk)


_ANCESTORS = _ancestors()


def position(*, engine: Engine, comment: Comment, size: int | None = None) -> Place:
    """The place (oldest first) where `comment` appears."""
    size = size or threads.ROOTS_PER_PAGE
    with engine.connect() as connection:
        path = list(connection.execute(_ANCESTORS, {"comment_id": comment.id}))
        path.sort(key=lambda r: r.depth)  # from its root down to the comment itself
        view: int | None = None  # the post's own pages first
        while path:
            top = path[0]
            number = _rank(connection, comment.post_id, view, top.created_at, top.id) // size + 1
            held = threads.held(
                connection, post_id=comment.post_id, parent_id=view, number=number, size=size
            )
            if comment.id in held:
                return Place(number, view)
            # The deepest ancestor the view holds was cut: its subthread holds its replies.
            while len(path) > 1 and path[1].id in held:
                path.pop(0)
            view = path.pop(0).id
    return Place(1)


def _rank(connection: Any, post_id: int, parent_id: int | None, at: Any, id_: int) -> int:
    """How many comments come before (at, id_) on their level, oldest first."""
    level = (
        col(Comment.parent_id).is_(None)
        if parent_id is None
        else col(Comment.parent_id) == parent_id
    )
    return int(
        connection.execute(
            select(func.count())
            .select_from(Comment)
            .where(
                Comment.post_id == post_id,
                level,
                tuple_(Comment.created_at, Comment.id)
                < tuple_(bindparam("at", at, type_=UTCDateTime()), id_),
            )
        ).scalar_one()
    )
