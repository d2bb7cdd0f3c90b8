"""The post listings: Latest, Top, Following, an author's posts, and search.

Every listing here is a read of plain rows on a pooled connection, so each takes the engine,
never a session: no ORM state to set up or clean, and an anonymous page opens no session.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Label, bindparam, literal, text, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.db import HotQuery
from app.models import Follow, Post, User, UTCDateTime, Viewer
from app.pagination import PAGE_SIZE, Page, Position, Window, after_post, bounds
from app.services import search as fulltext
from app.services.users import AVAILABLE

_AUTHOR: Label[str] = col(User.username).label("author")
# Everything about a post, for the API, search results, the Following feed (whose cards show
# the excerpt) and the post page; read straight into rows.
LISTING = (
    Post.id,
    Post.title,
    Post.content,
    Post.excerpt,
    Post.published,
    Post.hidden_at,
    Post.hidden_reason,
    Post.created_at,
    Post.updated_at,
    Post.vote_count,
    Post.comment_count,
    Post.owner_id,
    _AUTHOR,
    AVAILABLE.label("author_available"),
)
# What a card in a page's list shows (app.templating.post_cards). The excerpt is plain text
# stored with the post, so the hottest pages neither move whole posts nor parse Markdown.
CARDS = (
    Post.id,
    Post.title,
    Post.excerpt,
    Post.published,
    Post.hidden_at,  # only ever set in an author's own lists
    Post.created_at,
    Post.vote_count,
    Post.comment_count,
    _AUTHOR,
)


def _listing(columns: tuple[Any, ...] = LISTING) -> Any:
    # The user row is read for the author's name anyway: checking AVAILABLE on it is free, and
    # the plan stays a walk down the post index (docs/performance.md).
    return (
        select(*columns)
        .join(User, User.id == Post.owner_id)
        .where(AVAILABLE)
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
    )


def _cards() -> Any:
    return _listing(CARDS).limit(bindparam("limit")).offset(bindparam("offset"))


def _rows(engine: Engine, stmt: Any, params: dict[str, Any] | None = None) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(stmt, params or {}))


# Built once: building the statement costs more than running it (docs/performance.md).
_FEED = HotQuery(_cards().where(col(Post.published).is_(True)))


def feed(*, engine: Engine, page: int = 1) -> Page:
    """Published posts, newest first: one indexed query however large the table grows."""
    return Page.of(_FEED.rows(engine, bounds(page)), page)


def search(
    *,
    engine: Engine,
    text: str = "",
    author: str = "",
    limit: int = PAGE_SIZE,
    after: Position | None = None,
    offset: int = 0,
) -> Window:
    """Published posts, optionally by one `author` (a username) and matching the words in `text`.

    The one listing and search for the API and the pages. Without words: newest first, and pages
    continue from `after` with an indexed keyset condition, so any depth costs the same. With
    words: best match first (see app.services.search), paged by `offset`; `Window.next` is then
    the next offset. Text with no searchable words in it matches nothing.
    """
    if text.strip():
        return _ranked(engine, fulltext.terms(text), author, limit, offset)
    stmt = _listing().where(col(Post.published).is_(True))
    if author:
        stmt = stmt.where(User.username_key == author.lower())
    if after is not None:
        stmt = stmt.where(tuple_(Post.created_at, Post.id) < tuple_(after.created_at, after.id))
    rows = _rows(engine, stmt.offset(offset).limit(limit + 1))
    return Window.of(rows, limit, after_post)


def _ranked_statement(dialect: str, by_author: bool) -> Any:
    hits = fulltext.matches(dialect, by_author=by_author)
    # Rank and cut the page on (id, score) alone; only the page's rows are then read in full.
    ranked = (
        select(hits.c.id, hits.c.score)
        .order_by(hits.c.score.desc(), hits.c.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery("ranked")
    )
    return (
        select(*LISTING)  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
        .join(ranked, ranked.c.id == Post.id)
        .join(User, User.id == Post.owner_id)
        .where(col(Post.published).is_(True))
        .order_by(ranked.c.score.desc(), col(Post.id).desc())
    )


# Built once per database and author filter: compiling it is a real share of a search's cost.
_RANKED = {
    (dialect, by_author): HotQuery(_ranked_statement(dialect, by_author))
    for dialect in ("sqlite", "postgresql")
    for by_author in (False, True)
}


def _ranked(engine: Engine, words: list[str], author: str, limit: int, offset: int) -> Window:
    if not words or offset >= fulltext.SEARCH_WINDOW:
        return Window([], None)
    dialect = engine.dialect.name
    params = {**fulltext.query_params(dialect, words, author), "limit": limit + 1}
    rows = _RANKED[dialect, bool(author)].rows(engine, {**params, "offset": offset})
    return Window.of(rows, limit, lambda _last: offset + limit)


TOP_DAYS = 7


def top(*, engine: Engine, page: int = 1, now: datetime | None = None) -> Page:
    """The last TOP_DAYS days' published posts, most votes first.

    What bounds the work: the week's posts are one range of ix_post_top (published, created_at,
    vote_count), sorted by votes inside the index alone; only the page's rows are then read from
    the table. The cost follows the number of posts in a week, never the size of the table.
    """
    since = (now or datetime.now(UTC)) - timedelta(days=TOP_DAYS)
    return Page.of(_TOP.rows(engine, {"since": since, **bounds(page)}), page)


_TOP_RANKED = (
    select(Post.id, Post.vote_count)
    .join(User, col(User.id) == Post.owner_id)
    .where(col(Post.published).is_(True), Post.created_at >= bindparam("since"), AVAILABLE)
    .order_by(col(Post.vote_count).desc(), col(Post.id).desc())
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
    .subquery("ranked")
)
_TOP = HotQuery(
    select(*CARDS)  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
    .join(_TOP_RANKED, _TOP_RANKED.c.id == Post.id)
    .join(User, User.id == Post.owner_id)
    .order_by(_TOP_RANKED.c.vote_count.desc(), _TOP_RANKED.c.id.desc())
)


def following(
    *, engine: Engine, user: User | Viewer, limit: int = PAGE_SIZE, after: Position | None = None
) -> Window:
    """Published posts by the people `user` follows, newest first, continuing from `after`.

    What bounds the work: each followed author contributes at most `limit + 1` posts, read newest
    first from ix_post_author (owner_id, published, created_at, id) below `after`, and the page
    is the newest of those, chosen inside the index; only the page's rows are read from the
    table. A page costs (people followed) x (limit + 1) index entries at any depth and any table
    size, and follows.MAX_FOLLOWING caps the first factor. (Walking the whole feed index and
    keeping followed authors' posts instead is quick when they post a lot, but reads every post
    on the site for someone who follows only quiet people.)
    """
    take = limit + 1
    if engine.dialect.name == "postgresql":
        candidates = _following_lateral(user, take, after)
    else:
        params: dict[str, Any] = {"follower": user.id, "last": take - 1, "take": take}
        if after is not None:
            params.update(before_at=after.created_at, before_id=after.id)
        candidates = (_FOLLOWING_AFTER if after else _FOLLOWING).bindparams(**params)
    stmt = (
        select(*LISTING)  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
        .join(User, User.id == Post.owner_id)
        .where(col(Post.id).in_(candidates))
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
    )
    return Window.of(_rows(engine, stmt), limit, after_post)


def _following_lateral(user: User | Viewer, take: int, after: Position | None) -> Any:
    """PostgreSQL: the newest `take` post ids of each followed author (LATERAL), newest first."""
    followed = (
        select(Follow.followed_id)
        .join(User, col(User.id) == Follow.followed_id)
        .where(Follow.follower_id == user.id, AVAILABLE)
        .subquery("f")
    )
    recent = aliased(Post, name="recent")
    per_author = select(recent.id, recent.created_at).where(
        recent.owner_id == followed.c.followed_id, col(recent.published).is_(True)
    )
    if after is not None:
        per_author = per_author.where(
            tuple_(recent.created_at, recent.id) < tuple_(after.created_at, after.id)
        )
    newest = (col(recent.created_at).desc(), col(recent.id).desc())
    lateral = per_author.order_by(*newest).limit(take).lateral("per_author")
    return (
        select(lateral.c.id)
        .select_from(followed)
        .join(lateral, literal(True))
        .order_by(lateral.c.created_at.desc(), lateral.c.id.desc())
        .limit(take)
    )


# SQLite has no LATERAL. The same plan: for each followed author (CROSS JOIN fixes that loop
# order, so SQLite never walks the whole feed index instead), the index range from their
# take-th newest post up, then the newest `take` of all those, all without leaving the index.
_FOLLOWING_SQL = """
SELECT c.id FROM follow AS f CROSS JOIN post AS c
    ON c.owner_id = f.followed_id AND c.published = 1 AND c.created_at >= coalesce((
        SELECT r.created_at FROM post AS r
        WHERE r.owner_id = f.followed_id AND r.published = 1 {before_r}
        ORDER BY r.created_at DESC, r.id DESC LIMIT 1 OFFSET :last
    ), '') {before_c}
WHERE f.follower_id = :follower
    AND (SELECT u.is_active FROM user AS u WHERE u.id = f.followed_id)
ORDER BY c.created_at DESC, c.id DESC LIMIT :take
"""
_BEFORE = "AND ({t}.created_at, {t}.id) < (:before_at, :before_id)"
_FOLLOWING = text(_FOLLOWING_SQL.format(before_r="", before_c="")).columns(id=Integer)
_FOLLOWING_AFTER = (
    text(_FOLLOWING_SQL.format(before_r=_BEFORE.format(t="r"), before_c=_BEFORE.format(t="c")))
    .bindparams(bindparam("before_at", type_=UTCDateTime()))
    .columns(id=Integer)
)


def by_author(
    *,
    engine: Engine,
    author: User,
    viewer: User | Viewer | None,
    page: int = 1,
    drafts: bool | None = None,
) -> Page:
    """An author's posts; drafts only when the viewer is the author."""
    stmt = _cards().where(Post.owner_id == author.id)
    own = viewer is not None and viewer.id == author.id
    if not own or drafts is False:
        stmt = stmt.where(col(Post.published).is_(True))
    elif drafts is True:
        stmt = stmt.where(col(Post.published).is_(False))
    return Page.of(_rows(engine, stmt, bounds(page)), page)
