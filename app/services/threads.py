"""Reading comments: a post's threads a page at a time, permalinks, a person's recent comments.

A page is a run of top-level comments with every reply under them, read in one query whatever
the thread's size (the root ids are cut in a subquery; each comment carries its root's id).
Reads take the engine, like the feeds: plain rows, no ORM session.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app import rendering
from app.db import HotQuery
from app.models import Comment, CommentVote, Post, User, UTCDateTime, Viewer
from app.pagination import Page, Position, Window, page_number
from app.services.users import AVAILABLE

ROOTS_PER_PAGE = 30  # top-level comments a page shows, each with all its replies
MAX_INDENT = 6  # deeper replies are shown at this depth, "in reply to @name"
SORTS = ("oldest", "best")

THREAD: tuple[Any, ...] = (
    Comment.id,
    Comment.post_id,
    Comment.author_id,
    Comment.parent_id,
    Comment.root_id,
    Comment.depth,
    Comment.content,
    Comment.deleted,
    Comment.removed_reason,
    Comment.vote_count,
    Comment.created_at,
    Comment.updated_at,
    col(User.username).label("author"),
    AVAILABLE.label("author_available"),
    # NULL for visitors (viewer NULL matches no vote).
    col(CommentVote.user_id).is_not(None).label("voted"),
)


def _roots(order: tuple[Any, ...], after: bool = False) -> Any:
    top = aliased(Comment, name="top")
    stmt = select(top.id).where(top.post_id == bindparam("post_id"), col(top.parent_id).is_(None))
    if after:
        stmt = stmt.where(
            tuple_(top.created_at, top.id) > tuple_(bindparam("after_at"), bindparam("after_id"))
        )
    ordering = [getattr(top, name).desc() if desc else getattr(top, name) for name, desc in order]
    return stmt.order_by(*ordering).limit(bindparam("limit")).offset(bindparam("offset"))


_ORDERS = {
    "oldest": (("created_at", False), ("id", False)),
    "best": (("vote_count", True), ("created_at", False), ("id", False)),
}


def _thread(order: tuple[Any, ...], after: bool = False) -> Any:
    return (
        select(*THREAD)
        .outerjoin(User, col(User.id) == Comment.author_id)
        .outerjoin(
            CommentVote,
            and_(
                col(CommentVote.comment_id) == Comment.id,
                col(CommentVote.user_id) == bindparam("viewer"),
            ),
        )
        .where(col(Comment.root_id).in_(_roots(order, after)))
    )


# Built once, one per order (docs/performance.md, "Reads of the hottest pages compiled once").
_PAGES = {sort: HotQuery(_thread(order)) for sort, order in _ORDERS.items()}


@dataclass(frozen=True)
class Entry:
    """One comment as a thread shows it: `indent` capped at MAX_INDENT; `reply_to` names the
    parent's author where the indentation no longer shows whom it answers; `shown` is False
    for a "[deleted]" place-holder kept for its replies, or a moderator's "[removed]"."""

    row: Any
    indent: int
    reply_to: str | None
    shown: bool


def _shows(row: Any) -> bool:
    return not row.deleted and bool(row.author_available)


def arrange(rows: list[Any], sort: str, roots: list[int] | None = None) -> list[Entry]:
    """The rows of some threads in reading order: each comment followed by its replies, a
    level oldest first (or most votes first), place-holders kept only where replies show."""
    children: dict[int | None, list[Any]] = defaultdict(list)
    by_id = {row.id: row for row in rows}
    for row in rows:
        children[row.parent_id if row.parent_id in by_id else None].append(row)
    if sort == "best":

        def key(row: Any) -> Any:
            return (-row.vote_count, row.created_at, row.id)
    else:

        def key(row: Any) -> Any:
            return (row.created_at, row.id)

    for siblings in children.values():
        siblings.sort(key=key)
    if roots is not None:
        rank = {root: i for i, root in enumerate(roots)}
        children[None].sort(key=lambda row: rank.get(row.id, len(rank)))
    # Whether anything under each comment shows, from the deepest replies up.
    alive: dict[int, bool] = {}
    for row in sorted(rows, key=lambda r: r.depth, reverse=True):
        alive[row.id] = (
            _shows(row)
            or row.removed_reason is not None  # its author reads why, in its place
            or any(alive[c.id] for c in children.get(row.id, ()))
        )
    entries: list[Entry] = []
    stack: list[tuple[Any, int]] = [(row, 0) for row in reversed(children[None])]
    while stack:
        row, level = stack.pop()
        if not alive[row.id]:
            continue
        parent = by_id.get(row.parent_id)
        # "in reply to @name" only where the parent still shows its author.
        deep = parent is not None and level > MAX_INDENT and _shows(parent)
        reply_to = parent.author if deep and parent is not None else None
        entries.append(Entry(row, min(level, MAX_INDENT), reply_to, _shows(row)))
        stack.extend((child, level + 1) for child in reversed(children.get(row.id, ())))
    return entries


def page(
    *,
    engine: Engine,
    post_id: int,
    viewer: User | Viewer | None,
    page: int = 1,
    sort: str = "oldest",
    size: int | None = None,
) -> Page:
    """Page `page` of the post's threads, as `Entry`s (the caller checked that the viewer may
    see the post)."""
    size = size or ROOTS_PER_PAGE
    number = page_number(page)
    params = {
        "post_id": post_id,
        "viewer": viewer.id if viewer is not None else None,
        "limit": size + 1,
        "offset": (number - 1) * size,
    }
    rows = _PAGES[sort if sort in _ORDERS else "oldest"].rows(engine, params)
    roots = [row for row in rows if row.parent_id is None]
    roots.sort(key=_root_key(sort))
    keep = {row.id for row in roots[:size]}
    entries = arrange([row for row in rows if row.root_id in keep], sort)
    return Page(items=entries, number=number, has_next=len(roots) > size)


def _root_key(sort: str) -> Any:
    if sort == "best":
        return lambda row: (-row.vote_count, row.created_at, row.id)
    return lambda row: (row.created_at, row.id)


def mentioning(entries: list[Entry]) -> list[int]:
    """The shown comments whose text may mention someone: only theirs need `mentions.linked`."""
    return [entry.row.id for entry in entries if entry.shown and "@" in entry.row.content]


def html(entries: list[Entry], mentioned: dict[Any, rendering.Mentioned]) -> dict[int, Any]:
    """Each shown comment's HTML by id, rendered once per revision by the posts' renderer;
    `mentioned` is `mentions.linked` for `mentioning(entries)`."""
    return {
        entry.row.id: rendering.render_comment(
            entry.row.id, entry.row.updated_at, entry.row.content, mentioned.get(entry.row.id, ())
        )
        for entry in entries
        if entry.shown
    }


def position(*, engine: Engine, comment: Comment, size: int | None = None) -> int:
    """The page (oldest first) on which `comment` appears: its root's place among the roots."""
    size = size or ROOTS_PER_PAGE
    with engine.connect() as connection:
        root = connection.execute(
            select(Comment.created_at, Comment.id).where(Comment.id == comment.root_id)
        ).first()
        if root is None:
            return 1
        before = connection.execute(
            select(func.count())
            .select_from(Comment)
            .where(
                Comment.post_id == comment.post_id,
                col(Comment.parent_id).is_(None),
                tuple_(Comment.created_at, Comment.id)
                < tuple_(bindparam("at", root[0], type_=UTCDateTime()), root[1]),
            )
        ).scalar_one()
    return int(before) // size + 1


def window(*, engine: Engine, post_id: int, limit: int, after: Position | None = None) -> Window:
    """Up to `limit` threads of the post, oldest first, continuing after the root at `after`:
    the API's keyset pages. `Window.next` is the last root's position."""
    order = _ORDERS["oldest"]
    params: dict[str, Any] = {"post_id": post_id, "viewer": None, "limit": limit + 1, "offset": 0}
    if after is not None:
        params.update(after_at=after.created_at, after_id=after.id)
    with engine.connect() as connection:
        rows = list(connection.execute(_thread(order, after is not None), params))
    roots = sorted((row for row in rows if row.parent_id is None), key=_root_key("oldest"))
    kept = roots[:limit]
    keep = {row.id for row in kept}
    entries = arrange([row for row in rows if row.root_id in keep], "oldest")
    following = Position(kept[-1].created_at, kept[-1].id) if len(roots) > limit else None
    return Window(entries, following)


RECENT = 5


@dataclass(frozen=True)
class Recent:
    id: int
    post_id: int
    title: str
    excerpt: str
    created_at: Any


def recent_by(*, engine: Engine, author: User, limit: int = RECENT) -> list[Recent]:
    """The author's newest standing comments on public posts by available authors, each with
    the start of its text."""
    owner = aliased(User, name="owner")
    columns: tuple[Any, ...] = (
        Comment.id,
        Comment.content,
        Comment.created_at,
        col(Post.id).label("post_id"),
        Post.title,
    )
    stmt = (
        select(*columns)
        .join(Post, col(Post.id) == Comment.post_id)
        .join(owner, col(owner.id) == Post.owner_id)
        .where(
            col(Comment.author_id) == author.id,
            col(Comment.deleted).is_(False),
            col(Post.published).is_(True),
            col(owner.is_active).is_(True),
        )
        .order_by(col(Comment.created_at).desc(), col(Comment.id).desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = list(connection.execute(stmt))
    return [
        Recent(row.id, row.post_id, row.title, rendering.excerpt(row.content, 160), row.created_at)
        for row in rows
    ]
