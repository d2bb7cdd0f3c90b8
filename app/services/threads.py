"""Reading comments: a post's threads a page at a time, permalinks, a person's recent comments.

A page is a run of top-level comments with their replies under them, read in one query. What
bounds a page whatever a thread's shape (2,000 replies deep, or 2,000 wide): it reads at most
COMMENTS_PER_PAGE comments, walking down from its top-level ones a level at a time (a recursive
query, so a reply is only ever read with its parent). A comment whose replies did not fit says
"Continue this thread", linking to the same view rooted at it (`subthread`), whose own top
level is that comment's replies, paged. Reads take the engine, like the feeds: plain rows.

Past ~300 lines: the page, the subthread, the API's window and the ids a permalink checks are
one read in four uses, and stay beside it; where a permalink leads is app.services.permalinks.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, literal, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app import rendering
from app.db import HotQuery
from app.models import Block, Comment, CommentVote, Post, User, Viewer
from app.pagination import Page, Position, Window, page_number
from app.services.users import AVAILABLE

ROOTS_PER_PAGE = 30  # top-level comments a page shows, each with its replies
COMMENTS_PER_PAGE = 200  # at most this many comments are read and shown on one page
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
    Comment.pending_at,
    Comment.vote_count,
    Comment.created_at,
    Comment.updated_at,
    col(User.username).label("author"),
    AVAILABLE.label("author_available"),
    # NULL for visitors (viewer NULL matches no vote).
    col(CommentVote.user_id).is_not(None).label("voted"),
    # Whether the viewer muted or blocked the author (app.services.blocks): a key lookup.
    exists(
        select(col(Block.user_id)).where(
            col(Block.user_id) == bindparam("viewer"), col(Block.other_id) == Comment.author_id
        )
    ).label("silenced"),
)


def _roots(order: tuple[Any, ...], after: bool = False, under: bool = False) -> Any:
    """A page of the ids at a view's top level: the post's top-level comments, or (`under`)
    the replies to the comment `parent_id`."""
    top = aliased(Comment, name="top")
    level = col(top.parent_id) == bindparam("parent_id") if under else col(top.parent_id).is_(None)
    stmt = select(top.id).where(top.post_id == bindparam("post_id"), level)
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


def _rows(*extra: Any) -> Any:
    """THREAD's columns (and `extra`) of comments, with their authors and the viewer's votes."""
    return (
        select(*THREAD, *extra)
        .outerjoin(User, col(User.id) == Comment.author_id)
        .outerjoin(
            CommentVote,
            and_(
                col(CommentVote.comment_id) == Comment.id,
                col(CommentVote.user_id) == bindparam("viewer"),
            ),
        )
    )


def _thread(order: tuple[Any, ...], after: bool = False) -> Any:
    return _rows().where(col(Comment.root_id).in_(_roots(order, after)))


def _tree(order: tuple[Any, ...], under: bool = False) -> Any:
    """The ids of at most `budget` comments: a page of the top level, then their replies a level
    at a time (a recursive query walks breadth first). The walk also stops `budget` levels down,
    which is as deep as such a prefix reaches: SQLite reads the whole walk before any LIMIT."""
    tree = select(Comment.id, literal(0).label("level")).where(
        col(Comment.id).in_(_roots(order, under=under))
    )
    walk = tree.cte("tree", recursive=True)
    reply = aliased(Comment, name="reply")
    walk = walk.union_all(
        select(reply.id, walk.c.level + 1)
        .join(walk, col(reply.parent_id) == walk.c.id)
        .where(walk.c.level < bindparam("budget"))
    )
    return select(walk.c.id).limit(bindparam("budget"))


_child = aliased(Comment, name="child")
# How many replies a comment has, read or not: an index count, to tell where a page cut.
_REPLIES = (
    select(func.count())
    .select_from(_child)
    .where(col(_child.parent_id) == Comment.id)
    .scalar_subquery()
    .label("replies")
)


def _budgeted(order: tuple[Any, ...], under: bool = False) -> Any:
    return _rows(_REPLIES).where(col(Comment.id).in_(_tree(order, under)))


# Built once, per order and view (docs/performance.md, "Reads of the hottest pages compiled
# once"); `_IDS` are what a page holds, for permalinks (app.services.permalinks).
_PAGES = {
    (sort, under): HotQuery(_budgeted(order, under))
    for sort, order in _ORDERS.items()
    for under in (False, True)
}
_IDS = {
    under: select(Comment.id, Comment.parent_id, Comment.depth, Comment.created_at).where(
        col(Comment.id).in_(_tree(_ORDERS["oldest"], under))
    )
    for under in (False, True)
}


_FOCUS = HotQuery(_rows().where(Comment.id == bindparam("comment_id")))


@dataclass(frozen=True)
class Entry:
    """One comment as a thread shows it: `indent` capped at MAX_INDENT; `reply_to` names the
    parent's author where the indentation no longer shows whom it answers; `shown` is False
    for a "[deleted]" place-holder kept for its replies, or a moderator's "[removed]"."""

    row: Any
    indent: int
    reply_to: str | None
    shown: bool
    cut: bool = False  # some of its replies did not fit on the page: "Continue this thread"
    folded: bool = False  # by someone the viewer muted or blocked: one line, opened on demand


def _shows(row: Any) -> bool:
    return not row.deleted and bool(row.author_available)


def arrange(rows: list[Any], sort: str, roots: list[int] | None = None) -> list[Entry]:
    """The rows of some threads in reading order: each comment followed by its replies, a
    level oldest first (or most votes first), place-holders kept only where replies show.

    Rows that carry `replies` (how many it has) mark where replies were left unread: `cut`.
    """
    children: dict[int | None, list[Any]] = defaultdict(list)
    by_id = {row.id: row for row in rows}
    for row in rows:
        children[row.parent_id if row.parent_id in by_id else None].append(row)
    cut = {row.id for row in rows if getattr(row, "replies", 0) > len(children.get(row.id, ()))}
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
            or row.pending_at is not None  # awaiting a moderator, said in its place
            or row.id in cut  # what was not read may show
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
        shown = _shows(row)
        # By someone the viewer muted or blocked: the thread keeps its shape (their place and
        # their replies stay), only their words are folded away.
        folded = shown and bool(getattr(row, "silenced", False))
        entry = Entry(
            row, min(level, MAX_INDENT), reply_to, shown, cut=row.id in cut, folded=folded
        )
        entries.append(entry)
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
    rows, roots, has_next = _view(engine, post_id, None, viewer, page, sort, size)
    return Page(items=arrange(rows, sort, roots), number=page_number(page), has_next=has_next)


def subthread(
    *,
    engine: Engine,
    comment: Comment,
    viewer: User | Viewer | None,
    page: int = 1,
    sort: str = "oldest",
) -> Page:
    """`comment` then page `page` of its replies, each with its own replies, as `Entry`s: where
    a "Continue this thread" link leads (the caller checked that the viewer may see the post)."""
    rows, roots, has_next = _view(engine, comment.post_id, comment.id, viewer, page, sort, None)
    params = {"comment_id": comment.id, "viewer": viewer.id if viewer is not None else None}
    rows += _FOCUS.rows(engine, params)
    return Page(items=arrange(rows, sort), number=page_number(page), has_next=has_next)


def _view(
    engine: Engine,
    post_id: int,
    parent_id: int | None,
    viewer: User | Viewer | None,
    page: int,
    sort: str,
    size: int | None,
) -> tuple[list[Any], list[int], bool]:
    """The rows a view shows, its top level's ids in order, and whether a next page exists."""
    size = size or ROOTS_PER_PAGE
    number = page_number(page)
    under = parent_id is not None
    sort = sort if sort in _ORDERS else "oldest"
    params = {
        "post_id": post_id,
        "parent_id": parent_id,
        "viewer": viewer.id if viewer is not None else None,
        "limit": size + 1,  # one more top-level comment tells whether a next page exists
        "offset": (number - 1) * size,
        "budget": COMMENTS_PER_PAGE,
    }
    rows = _PAGES[sort, under].rows(engine, params)
    roots = sorted((row for row in rows if row.parent_id == parent_id), key=_root_key(sort))
    kept = [row.id for row in roots[:size]]
    return _under(rows, parent_id, kept), kept, len(roots) > size


def _under(rows: list[Any], parent_id: int | None, kept: list[int]) -> list[Any]:
    """The rows below the `kept` top-level ones (each row's top, found from the top down)."""
    top = {row_id: row_id for row_id in kept}
    for row in sorted(rows, key=lambda r: r.depth):
        if row.parent_id != parent_id and row.parent_id in top:
            top[row.id] = top[row.parent_id]
    return [row for row in rows if row.id in top]


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


def cached_html(
    entries: list[Entry], mentioned: dict[Any, rendering.Mentioned]
) -> dict[int, Any] | None:
    """`html(entries, mentioned)` if every shown comment is rendered already, else None: a
    page whose comments are all in memory needs no worker thread to show them."""
    found = {}
    for entry in entries:
        if entry.shown:
            row = entry.row
            cached = rendering.cached_comment_html(
                row.id, row.updated_at, mentioned.get(row.id, ())
            )
            if cached is None:
                return None
            found[row.id] = cached
    return found


def held(
    connection: Any, *, post_id: int, parent_id: int | None, number: int, size: int
) -> set[int]:
    """The ids page `number` of a view holds, oldest first (the post's threads, or the
    subthread of `parent_id`): the same read as the page's, ids only."""
    params = {
        "post_id": post_id,
        "parent_id": parent_id,
        "limit": size + 1,
        "offset": (number - 1) * size,
        "budget": COMMENTS_PER_PAGE,
    }
    rows = list(connection.execute(_IDS[parent_id is not None], params))
    tops = sorted((r for r in rows if r.parent_id == parent_id), key=_root_key("oldest"))
    return {r.id for r in _under(rows, parent_id, [r.id for r in tops[:size]])}


def window(
    *,
    engine: Engine,
    post_id: int,
    limit: int,
    after: Position | None = None,
    viewer: User | Viewer | None = None,
) -> Window:
    """Up to `limit` threads of the post, oldest first, continuing after the root at `after`:
    the API's keyset pages. `Window.next` is the last root's position."""
    order = _ORDERS["oldest"]
    viewer_id = viewer.id if viewer is not None else None
    params: dict[str, Any] = {"post_id": post_id, "viewer": viewer_id, "limit": limit + 1}
    params["offset"] = 0
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


_OWNER = aliased(User, name="owner")
# A profile's recent comments, prebuilt: building the statement (the owner alias copies every
# column of User) cost twenty times what SQLite takes to answer it.
_RECENT_COLUMNS: tuple[Any, ...] = (
    Comment.id,
    Comment.content,
    Comment.created_at,
    Comment.updated_at,
    col(Post.id).label("post_id"),
    Post.title,
)
_RECENT = HotQuery(
    select(*_RECENT_COLUMNS)
    .join(Post, col(Post.id) == Comment.post_id)
    .join(_OWNER, col(_OWNER.id) == Post.owner_id)
    .where(
        col(Comment.author_id) == bindparam("author_id"),
        col(Comment.deleted).is_(False),
        col(Post.published).is_(True),
        col(_OWNER.is_active).is_(True),
    )
    .order_by(col(Comment.created_at).desc(), col(Comment.id).desc())
    .limit(bindparam("limit"))
)


def recent_by(*, engine: Engine, author: User, limit: int = RECENT) -> list[Recent]:
    """The author's newest standing comments on public posts by available authors, each with
    the start of its text."""
    rows = _RECENT.rows(engine, {"author_id": author.id, "limit": limit})
    # The plain text once per revision, as search's snippets read it, not converted from the
    # Markdown on every view.
    return [
        Recent(
            row.id,
            row.post_id,
            row.title,
            rendering.shorten(rendering.comment_text(row.id, row.updated_at, row.content), 160),
            row.created_at,
        )
        for row in rows
    ]
