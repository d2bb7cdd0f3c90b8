"""Full-text search: the user's words, matched by the database's own full-text index.

SQLite matches through the FTS5 table `post_fts` and ranks with bm25; PostgreSQL through the
`post.search_vector` column's GIN index and ts_rank (the "full-text search" migration builds
both). Either way titles weigh more than content.

User input never reaches either query language as syntax: it is cut into plain words (runs of
letters and digits) and each word is quoted, so quotes, `*`, `NEAR`, `AND`/`OR`, `-` or `:` are
separators like any other punctuation, and a query without words simply finds nothing. Words are
stemmed on both databases ("gardens" finds "gardening"); every word must match.

Comments are searched the same way (`comment_matches`, `comments`): the FTS5 table
`comment_fts` or the `comment.search_vector` column, over standing comments only; whether the
post is public and both authors available is checked inside the window, as for posts.

What bounds the work: a common word can match most of the posts, and ranking all of them costs
time in proportion. Search ranks only the newest SEARCH_WINDOW matches (the index hands them out
newest first), and results past that window are not offered; on a site of ordinary size that is
every match. One cost still grows with the site: to weigh the words, bm25 counts once per query
how many posts contain each of them, reading that word's entry in the index; for very common
words that shows (docs/performance.md, "Search on very common words").
"""

import re
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Float,
    Integer,
    SQLColumnExpression,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.db import HotQuery
from app.models import Comment, Post, PostTag, User, Viewer
from app.pagination import Window
from app.services import filters
from app.services.users import AVAILABLE

SEARCH_WINDOW = 500
MAX_TERMS = 8
MAX_TERM_CHARS = 40
MAX_QUERY_CHARS = 500
USERS_SHOWN = 8
_WORD = re.compile(r"[^\W_]+")
# `tag:name`, read before the words are cut out, so the tag's `-` and the colon survive.
_TAG_OPERATOR = re.compile(r"(?<!\S)tag:(\S*)", re.IGNORECASE)
_CUT_WORD = re.compile(r"[^\W_]+$")

_fts = table("post_fts", column("rowid", Integer))
# bm25 weights per column (title, content); bm25 is lower for better matches.
_BM25 = func.bm25(literal_column("post_fts"), 4.0, 1.0, type_=Float)
_vector: ColumnClause[Any] = column("search_vector")
_comment_fts = table("comment_fts", column("rowid", Integer))
_COMMENT_BM25 = func.bm25(literal_column("comment_fts"), type_=Float)
_comment_vector: Any = literal_column("comment.search_vector")


def _head(query: str) -> str:
    """The part of a query that is read: its first MAX_QUERY_CHARS, less a word cut in two at
    the limit (no word of the query)."""
    start = query[:MAX_QUERY_CHARS]
    if _WORD.match(query[MAX_QUERY_CHARS : MAX_QUERY_CHARS + 1]):
        start = _CUT_WORD.sub("", start)
    return start


def terms(query: str) -> list[str]:
    """The distinct words of a query, lower-cased, at most MAX_TERMS of them."""
    words: list[str] = []
    for word in _WORD.findall(_head(query).lower()):
        word = word[:MAX_TERM_CHARS]
        if word not in words:
            words.append(word)
    return words[:MAX_TERMS]


def split_query(query: str) -> tuple[str, str | None]:
    """The words of a query, and the tag its first `tag:name` asks for (lower-cased; None
    without one). Every `tag:` operator leaves the words."""
    query = _head(query)
    found = _TAG_OPERATOR.findall(query)
    return _TAG_OPERATOR.sub(" ", query), (found[0].lower() if found else None)


def _fts5_query(words: list[str]) -> str:
    # Every word quoted: inside quotes FTS5 reads no operators. Words hold no quotes to escape.
    return " ".join(f'"{word}"' for word in words)


def matches(
    dialect: str, *, by_author: bool = False, filtered: bool = False, by_tag: bool = False
) -> Any:
    """A subquery of (id, score) for the newest SEARCH_WINDOW published posts matching every
    word; a higher score is a better match.

    Its parameters are bound when it runs: `fts_query` (SQLite, from `fts5_query`) or
    `ts_query` (PostgreSQL, the words joined by spaces), `author` (a username) if
    `by_author`, `tag_id` if `by_tag`, and `viewer` if `filtered` (their filtered tags and
    dismissed posts leave the window itself, as unavailable authors do). The statement is the
    same for every query, so it can be built once.
    """
    if dialect == "sqlite":
        stmt = (
            select(_fts.c.rowid.label("id"), (-_BM25).label("score"))
            .where(text("post_fts MATCH :fts_query"))
            .order_by(_fts.c.rowid.desc())
        )
        post_id: SQLColumnExpression[Any] = _fts.c.rowid
    else:
        query = func.plainto_tsquery("english", bindparam("ts_query"))
        stmt = (
            select(col(Post.id), func.ts_rank(_vector, query, type_=Float).label("score"))
            .where(col(Post.published).is_(True), _vector.op("@@")(query))
            .order_by(col(Post.id).desc())
        )
        post_id = col(Post.id)
    # Posts of unavailable accounts leave the window itself, so results are never cut short:
    # two lookups by primary key per match (post, then its author).
    hit = aliased(Post, name="hit")
    author_available = (
        select(col(User.id))
        .join(hit, col(hit.owner_id) == User.id)
        .where(col(hit.id) == post_id, AVAILABLE)
        .exists()
    )
    stmt = stmt.where(author_available)
    if by_author:
        # Only index-lookups by post id: the author's posts are few next to the matches.
        owner = (
            select(col(User.id))
            .where(col(User.username_key) == bindparam("author"))
            .scalar_subquery()
        )
        stmt = stmt.where(post_id.in_(select(col(Post.id)).where(col(Post.owner_id) == owner)))
    if by_tag:
        tagged = select(col(PostTag.post_id)).where(
            col(PostTag.post_id) == post_id, col(PostTag.tag_id) == bindparam("tag_id")
        )
        stmt = stmt.where(tagged.exists())
    if filtered:
        # Read through `hit` (the post by key), whose owner the viewer's blocks need.
        kept = select(col(hit.id)).where(
            col(hit.id) == post_id, filters.keeps(hit.id, hit.owner_id)
        )
        stmt = stmt.where(kept.exists())
    return stmt.limit(SEARCH_WINDOW).subquery("hits")


def query_params(dialect: str, words: list[str], author: str = "") -> dict[str, str]:
    """The bound values for `matches`."""
    params = (
        {"fts_query": _fts5_query(words)} if dialect == "sqlite" else {"ts_query": " ".join(words)}
    )
    if author:
        params["author"] = author.lower()  # as username_key is stored
    return params


def _next_prefix(word: str) -> str:
    """The first string after every string that starts with `word`."""
    return word[:-1] + chr(ord(word[-1]) + 1) if ord(word[-1]) < 0x10FFFF else word + "\uffff"


# A word shorter than this names nobody: "a" or "of" would list everyone whose name starts so.
USER_PREFIX_MIN = 3


def users(*, session: Session, words: list[str]) -> list[User]:
    """Active users whose name starts with one of the words (of 3 or more letters), by name."""
    words = [word for word in words if len(word) >= USER_PREFIX_MIN]
    if not words:
        return []
    key = col(User.username_key)
    if session.get_bind().dialect.name == "sqlite":
        # A prefix as a range of the unique index on username_key (stored lower-cased), so no
        # LIKE walks the whole table: "gar" is every key from "gar" up to, not including,
        # "gas". SQLite compares code points; a PostgreSQL database's collation may not (in
        # en_US, "li{" sorts before "liz"), so there LIKE it is.
        conditions = [and_(key >= word, key < _next_prefix(word)) for word in words]
    else:
        conditions = [key.startswith(word, autoescape=True) for word in words]
    stmt = (
        select(User)
        .where(col(User.is_active).is_(True))
        .where(or_(*conditions))
        .order_by(col(User.username_key))
        .limit(USERS_SHOWN)
    )
    return list(session.scalars(stmt).all())


def comment_matches(dialect: str, filtered: bool = False) -> Any:
    """A subquery of (id, score) for the newest SEARCH_WINDOW standing comments matching every
    word, on public posts, written by available authors on posts by available authors.

    Bound when it runs: `fts_query` or `ts_query` (`query_params`), and `viewer` if `filtered`:
    comments by people they muted or blocked (or who blocked them), and those on posts whose
    author blocked them, leave the window itself.
    """
    if dialect == "sqlite":
        stmt = (
            select(_comment_fts.c.rowid.label("id"), (-_COMMENT_BM25).label("score"))
            .where(text("comment_fts MATCH :fts_query"))
            .order_by(_comment_fts.c.rowid.desc())
        )
        comment_id: SQLColumnExpression[Any] = _comment_fts.c.rowid
    else:
        query = func.plainto_tsquery("english", bindparam("ts_query"))
        stmt = (
            select(
                col(Comment.id), func.ts_rank(_comment_vector, query, type_=Float).label("score")
            )
            .where(col(Comment.deleted).is_(False), _comment_vector.op("@@")(query))
            .order_by(col(Comment.id).desc())
        )
        comment_id = col(Comment.id)
    # Inside the window, so results are never cut short: lookups by primary key per match.
    hit = aliased(Comment, name="hit")
    on = aliased(Post, name="on_post")
    writer = aliased(User, name="writer")
    owner = aliased(User, name="owner")
    readable = (
        select(col(hit.id))
        .join(on, col(on.id) == hit.post_id)
        .join(writer, col(writer.id) == hit.author_id)
        .join(owner, col(owner.id) == on.owner_id)
        .where(
            col(hit.id) == comment_id,
            col(hit.deleted).is_(False),
            col(on.published).is_(True),  # posts.is_public
            col(writer.is_active).is_(True),  # users.available, for both authors
            col(owner.is_active).is_(True),
        )
    )
    if filtered:
        readable = readable.where(filters.allows(writer.id), ~filters.shuts_out(owner.id))
    return stmt.where(readable.exists()).limit(SEARCH_WINDOW).subquery("hits")


def _comment_statement(dialect: str, filtered: bool) -> Any:
    hits = comment_matches(dialect, filtered)
    ranked = (
        select(hits.c.id, hits.c.score)
        .order_by(hits.c.score.desc(), hits.c.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery("ranked")
    )
    columns: tuple[Any, ...] = (
        Comment.id,
        Comment.post_id,
        Comment.author_id,
        Comment.content,
        Comment.created_at,
        Comment.updated_at,
        col(Post.title).label("post_title"),
        col(User.username).label("author"),
    )
    return (
        select(*columns)
        .join(ranked, ranked.c.id == Comment.id)
        .join(Post, col(Post.id) == Comment.post_id)
        .join(User, col(User.id) == Comment.author_id)
        .order_by(ranked.c.score.desc(), col(Comment.id).desc())
    )


# Built once per database, like the post search (app.services.feeds).
_COMMENTS = {
    (dialect, filtered): HotQuery(_comment_statement(dialect, filtered))
    for dialect in ("sqlite", "postgresql")
    for filtered in (False, True)
}


def comments(
    *,
    engine: Engine,
    words: list[str],
    limit: int,
    offset: int = 0,
    viewer: User | Viewer | None = None,
) -> Window:
    """Comments matching every word, best first, paged by `offset` (`Window.next` is the next
    offset); rows of id, post_id, author_id, content, created_at, updated_at, post_title and
    author. A `viewer`'s mutes and blocks apply (`comment_matches`)."""
    if not words or offset >= SEARCH_WINDOW:
        return Window([], None)
    dialect = engine.dialect.name
    params = {**query_params(dialect, words), "limit": limit + 1, "offset": offset}
    params.update(filters.params(viewer))
    rows = _COMMENTS[dialect, filters.needed(viewer)].rows(engine, params)
    return Window.of(rows, limit, lambda _last: offset + limit)
