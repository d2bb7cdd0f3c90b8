"""The post listings: Latest, Top, Following, an author's posts, and search.

Every listing here is a read of plain rows on a pooled connection, so each takes the engine,
never a session: no ORM state to set up or clean, and an anonymous page opens no session.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Label, String, bindparam, exists, literal, text, tuple_, union
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlmodel import col, select

from app.db import HotQuery
from app.models import Follow, Post, PostTag, Tag, TagFollow, User, UTCDateTime, Viewer
from app.pagination import PAGE_SIZE, Page, Position, Window, after_post, bounds
from app.services import filters
from app.services import search as fulltext
from app.services.users import AVAILABLE

_AUTHOR: Label[str] = col(User.username).label("author")


class _joined_names(GenericFunction[str]):
    """Names joined by spaces (a tag's name holds none): group_concat or string_agg."""

    type = String()
    inherit_cache = True


@compiles(_joined_names, "sqlite")
def _group_concat(element: _joined_names, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ' ')"


@compiles(_joined_names, "postgresql")
def _string_agg(element: _joined_names, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ' ')"


# A post's tags as one text column (app.services.tags.split reads it): a few lookups by the
# post_tag key per row, and a tag's rename is a new value, so a new card (app.templating).
_TAGS: Label[str] = (
    select(_joined_names(col(Tag.name)))
    .select_from(PostTag)
    .join(Tag, col(Tag.id) == PostTag.tag_id)
    .where(col(PostTag.post_id) == Post.id)
    .scalar_subquery()
    .label("tags")
)
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
    Post.pending_at,
    Post.created_at,
    Post.updated_at,
    Post.vote_count,
    Post.comment_count,
    Post.owner_id,
    _AUTHOR,
    AVAILABLE.label("author_available"),
    _TAGS,
)
# What a card in a page's list shows (app.templating.post_cards). The excerpt is plain text
# stored with the post, so the hottest pages neither move whole posts nor parse Markdown.
CARDS = (
    Post.id,
    Post.title,
    Post.excerpt,
    Post.published,
    Post.hidden_at,  # only ever set in an author's own lists
    Post.pending_at,  # the same
    Post.created_at,
    Post.vote_count,
    Post.comment_count,
    _AUTHOR,
    _TAGS,
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


# Built once: building the statement costs more than running it (docs/performance.md). The
# second reads what the viewer filtered out or dismissed (app.services.filters); visitors have
# nothing filtered and skip it.
_FEED = HotQuery(_cards().where(col(Post.published).is_(True)))
_FEED_FILTERED = HotQuery(
    _cards().where(col(Post.published).is_(True), filters.keeps(Post.id, Post.owner_id))
)


def feed(*, engine: Engine, page: int = 1, viewer: User | Viewer | None = None) -> Page:
    """Published posts, newest first: one indexed query however large the table grows."""
    if not filters.needed(viewer):
        return Page.of(_FEED.rows(engine, bounds(page)), page)
    return Page.of(_FEED_FILTERED.rows(engine, {**bounds(page), **filters.params(viewer)}), page)


def search(
    *,
    engine: Engine,
    text: str = "",
    author: str = "",
    limit: int = PAGE_SIZE,
    after: Position | None = None,
    offset: int = 0,
    viewer: User | Viewer | None = None,
    tag_id: int | None = None,
) -> Window:
    """Published posts, optionally by one `author` (a username) and matching the words in `text`.

    The one listing and search for the API and the pages. Without words: newest first, and pages
    continue from `after` with an indexed keyset condition, so any depth costs the same. With
    words: best match first (see app.services.search), paged by `offset`; `Window.next` is then
    the next offset. Text with no searchable words in it matches nothing. `tag_id` keeps the
    posts with that tag; a `viewer`'s filtered tags and dismissed posts are left out.
    """
    if text.strip():
        return _ranked(engine, fulltext.terms(text), author, limit, offset, viewer, tag_id)
    if tag_id is not None and not author:
        return tagged(
            engine=engine, tag_id=tag_id, viewer=viewer, limit=limit, after=after, offset=offset
        )
    stmt = _listing().where(col(Post.published).is_(True))
    if author:
        stmt = stmt.where(User.username_key == author.lower())
    if tag_id is not None:
        stmt = stmt.where(_has_tag(Post.id, tag_id))
    if filters.needed(viewer):
        stmt = stmt.where(filters.keeps(Post.id, Post.owner_id))
    if after is not None:
        stmt = stmt.where(tuple_(Post.created_at, Post.id) < tuple_(after.created_at, after.id))
    params = filters.params(viewer)
    rows = _rows(engine, stmt.offset(offset).limit(limit + 1), params)
    return Window.of(rows, limit, after_post)


def _has_tag(post_id: Any, tag_id: Any) -> Any:
    return exists(
        select(col(PostTag.post_id)).where(
            col(PostTag.post_id) == post_id, col(PostTag.tag_id) == tag_id
        )
    )


def _ranked_statement(dialect: str, by_author: bool, filtered: bool, by_tag: bool) -> Any:
    hits = fulltext.matches(dialect, by_author=by_author, filtered=filtered, by_tag=by_tag)
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


# Built once per database and filter: compiling it is a real share of a search's cost.
_RANKED = {
    (dialect, by_author, filtered, by_tag): HotQuery(
        _ranked_statement(dialect, by_author, filtered, by_tag)
    )
    for dialect in ("sqlite", "postgresql")
    for by_author in (False, True)
    for filtered in (False, True)
    for by_tag in (False, True)
}


def _ranked(
    engine: Engine,
    words: list[str],
    author: str,
    limit: int,
    offset: int,
    viewer: User | Viewer | None,
    tag_id: int | None,
) -> Window:
    if not words or offset >= fulltext.SEARCH_WINDOW:
        return Window([], None)
    dialect = engine.dialect.name
    params = {**fulltext.query_params(dialect, words, author), "limit": limit + 1}
    params.update(filters.params(viewer), tag_id=tag_id)
    query = _RANKED[dialect, bool(author), filters.needed(viewer), tag_id is not None]
    rows = query.rows(engine, {**params, "offset": offset})
    return Window.of(rows, limit, lambda _last: offset + limit)


TOP_DAYS = 7


def top(
    *,
    engine: Engine,
    page: int = 1,
    now: datetime | None = None,
    viewer: User | Viewer | None = None,
) -> Page:
    """The last TOP_DAYS days' published posts, most votes first.

    What bounds the work: the week's posts are one range of ix_post_top (published, created_at,
    vote_count), sorted by votes inside the index alone; only the page's rows are then read from
    the table. The cost follows the number of posts in a week, never the size of the table.
    """
    since = (now or datetime.now(UTC)) - timedelta(days=TOP_DAYS)
    params = {"since": since, **bounds(page), **filters.params(viewer)}
    return Page.of(_TOP[filters.needed(viewer)].rows(engine, params), page)


def _top_statement(filtered: bool) -> Any:
    ranked = (
        select(Post.id, Post.vote_count)
        .join(User, col(User.id) == Post.owner_id)
        .where(col(Post.published).is_(True), Post.created_at >= bindparam("since"), AVAILABLE)
    )
    if filtered:
        ranked = ranked.where(filters.keeps(Post.id, Post.owner_id))
    ranked_q = (
        ranked.order_by(col(Post.vote_count).desc(), col(Post.id).desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery("ranked")
    )
    return (
        select(*CARDS)  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
        .join(ranked_q, ranked_q.c.id == Post.id)
        .join(User, User.id == Post.owner_id)
        .order_by(ranked_q.c.vote_count.desc(), ranked_q.c.id.desc())
    )


_TOP = {filtered: HotQuery(_top_statement(filtered)) for filtered in (False, True)}


# --- a tag's posts ----------------------------------------------------------------------------


def _tagged_statement(columns: tuple[Any, ...], filtered: bool, after: bool) -> Any:
    """A tag's published posts newest first, walking ix_post_tag_feed (tag_id, created_at,
    post_id) and reading each post and author by key: a page costs the same at any depth."""
    stmt = (
        select(*columns)
        .select_from(PostTag)
        .join(Post, col(Post.id) == PostTag.post_id)
        .join(User, User.id == Post.owner_id)
        .where(col(PostTag.tag_id) == bindparam("tag_id"), col(Post.published).is_(True))
        .where(AVAILABLE)
    )
    if filtered:
        stmt = stmt.where(filters.keeps(Post.id, Post.owner_id))
    if after:
        position = tuple_(bindparam("before_at", type_=UTCDateTime()), bindparam("before_id"))
        stmt = stmt.where(tuple_(PostTag.created_at, PostTag.post_id) < position)
    return (
        stmt.order_by(col(PostTag.created_at).desc(), col(PostTag.post_id).desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


_TAGGED = {
    (filtered, after): HotQuery(_tagged_statement(LISTING, filtered, after))
    for filtered in (False, True)
    for after in (False, True)
}


def tagged(
    *,
    engine: Engine,
    tag_id: int,
    viewer: User | Viewer | None = None,
    limit: int = PAGE_SIZE,
    after: Position | None = None,
    offset: int = 0,
) -> Window:
    """The tag's published posts, newest first, continuing from `after` (the tag page's Latest,
    the API, and a search for `tag:name` alone)."""
    params: dict[str, Any] = {"tag_id": tag_id, "limit": limit + 1, "offset": offset}
    params.update(filters.params(viewer))
    if after is not None:
        params.update(before_at=after.created_at, before_id=after.id)
    rows = _TAGGED[filters.needed(viewer), after is not None].rows(engine, params)
    return Window.of(rows, limit, after_post)


def _tag_top_statement(filtered: bool) -> Any:
    # The tag's week is one range of ix_post_tag_feed; only those posts are read and sorted.
    ranked = (
        select(Post.id, Post.vote_count)
        .select_from(PostTag)
        .join(Post, col(Post.id) == PostTag.post_id)
        .join(User, col(User.id) == Post.owner_id)
        .where(
            col(PostTag.tag_id) == bindparam("tag_id"),
            PostTag.created_at >= bindparam("since"),
            col(Post.published).is_(True),
            AVAILABLE,
        )
    )
    if filtered:
        ranked = ranked.where(filters.keeps(Post.id, Post.owner_id))
    ranked_q = (
        ranked.order_by(col(Post.vote_count).desc(), col(Post.id).desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery("ranked")
    )
    return (
        select(*CARDS)  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
        .join(ranked_q, ranked_q.c.id == Post.id)
        .join(User, User.id == Post.owner_id)
        .order_by(ranked_q.c.vote_count.desc(), ranked_q.c.id.desc())
    )


_TAG_TOP = {filtered: HotQuery(_tag_top_statement(filtered)) for filtered in (False, True)}


def tag_top(
    *,
    engine: Engine,
    tag_id: int,
    page: int = 1,
    now: datetime | None = None,
    viewer: User | Viewer | None = None,
) -> Page:
    """The tag's published posts of the last TOP_DAYS days, most votes first."""
    since = (now or datetime.now(UTC)) - timedelta(days=TOP_DAYS)
    params = {"tag_id": tag_id, "since": since, **bounds(page), **filters.params(viewer)}
    return Page.of(_TAG_TOP[filters.needed(viewer)].rows(engine, params), page)


def following(
    *, engine: Engine, user: User | Viewer, limit: int = PAGE_SIZE, after: Position | None = None
) -> Window:
    """Published posts by the people and with the tags `user` follows, newest first, continuing
    from `after`; what they filtered out or dismissed is left out.

    What bounds the work: each followed author contributes at most `limit + 1` posts, read newest
    first from ix_post_author (owner_id, published, created_at, id) below `after`, each followed
    tag at most `limit + 1` from ix_post_tag_feed (tag_id, created_at, post_id), and the page
    is the newest of those; only the page's rows are read from the table. A page costs (people
    and tags followed) x (limit + 1) index entries at any depth and any table size, and
    follows.MAX_FOLLOWING and tags.MAX_TAGS_FOLLOWED cap the first factor. (Walking the whole
    feed index and keeping followed authors' posts instead is quick when they post a lot, but
    reads every post on the site for someone who follows only quiet people.)
    """
    take = limit + 1
    params: dict[str, Any] = filters.params(user)
    if engine.dialect.name == "postgresql":
        candidates = _following_lateral(user, take, after)
    else:
        params.update(follower=user.id, last=take - 1, take=take)
        if after is not None:
            params.update(before_at=after.created_at, before_id=after.id)
        candidates = (_FOLLOWING_AFTER if after else _FOLLOWING).bindparams(**params)
    stmt = (
        select(*LISTING)  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
        .join(User, User.id == Post.owner_id)
        .where(col(Post.id).in_(candidates))
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
    )
    return Window.of(_rows(engine, stmt, params), limit, after_post)


def _following_lateral(user: User | Viewer, take: int, after: Position | None) -> Any:
    """PostgreSQL: the newest `take` post ids of each followed author and each followed tag
    (LATERAL), newest first."""
    followed = (
        select(Follow.followed_id)
        .join(User, col(User.id) == Follow.followed_id)
        .where(Follow.follower_id == user.id, AVAILABLE)
        .subquery("f")
    )
    recent = aliased(Post, name="recent")
    per_author = select(recent.id, recent.created_at).where(
        recent.owner_id == followed.c.followed_id,
        col(recent.published).is_(True),
        filters.keeps(recent.id, recent.owner_id),
    )
    if after is not None:
        per_author = per_author.where(
            tuple_(recent.created_at, recent.id) < tuple_(after.created_at, after.id)
        )
    newest = (col(recent.created_at).desc(), col(recent.id).desc())
    lateral = per_author.order_by(*newest).limit(take).lateral("per_author")

    tags = select(TagFollow.tag_id).where(TagFollow.user_id == user.id).subquery("g")
    link = aliased(PostTag, name="link")
    tagged_post = aliased(Post, name="tagged_post")
    tagged_author = aliased(User, name="tagged_author")
    per_tag = (
        select(tagged_post.id, tagged_post.created_at)
        .select_from(link)
        .join(tagged_post, col(tagged_post.id) == link.post_id)
        .join(tagged_author, col(tagged_author.id) == tagged_post.owner_id)
        .where(
            link.tag_id == tags.c.tag_id,
            col(tagged_post.published).is_(True),
            col(tagged_author.is_active).is_(True),
            filters.keeps(tagged_post.id, tagged_post.owner_id),
        )
    )
    if after is not None:
        per_tag = per_tag.where(
            tuple_(link.created_at, link.post_id) < tuple_(after.created_at, after.id)
        )
    by_tag = (
        per_tag.order_by(col(link.created_at).desc(), col(link.post_id).desc())
        .limit(take)
        .lateral("per_tag")
    )
    both = union(
        select(lateral.c.id, lateral.c.created_at)
        .select_from(followed)
        .join(lateral, literal(True)),
        select(by_tag.c.id, by_tag.c.created_at).select_from(tags).join(by_tag, literal(True)),
    ).subquery("candidates")
    return select(both.c.id).order_by(both.c.created_at.desc(), both.c.id.desc()).limit(take)


# SQLite has no LATERAL. The same plan: for each followed author (CROSS JOIN fixes that loop
# order, so SQLite never walks the whole feed index instead), the index range from their
# take-th newest post up; the same for each followed tag on ix_post_tag_feed; then the newest
# `take` of all those, all without leaving the indexes.
_FOLLOWING_SQL = """
SELECT id FROM (
    SELECT c.id AS id, c.created_at AS created_at FROM follow AS f CROSS JOIN post AS c
        ON c.owner_id = f.followed_id AND c.published = 1 AND c.created_at >= coalesce((
            SELECT r.created_at FROM post AS r
            WHERE r.owner_id = f.followed_id AND r.published = 1 {before_r} {keeps_r}
            ORDER BY r.created_at DESC, r.id DESC LIMIT 1 OFFSET :last
        ), '') {before_c} {keeps_c}
    WHERE f.follower_id = :follower
        AND (SELECT u.is_active FROM user AS u WHERE u.id = f.followed_id)
    UNION
    SELECT c.id, c.created_at FROM tag_follow AS g CROSS JOIN post_tag AS pt
        ON pt.tag_id = g.tag_id AND pt.created_at >= coalesce((
            SELECT rt.created_at FROM post_tag AS rt CROSS JOIN post AS r ON r.id = rt.post_id
            WHERE rt.tag_id = g.tag_id AND r.published = 1
                AND (SELECT u.is_active FROM user AS u WHERE u.id = r.owner_id)
                {before_r} {keeps_r}
            ORDER BY rt.created_at DESC, rt.post_id DESC LIMIT 1 OFFSET :last
        ), '')
        CROSS JOIN post AS c ON c.id = pt.post_id AND c.published = 1 {before_c} {keeps_c}
    WHERE g.user_id = :follower
        AND (SELECT u.is_active FROM user AS u WHERE u.id = c.owner_id)
)
ORDER BY created_at DESC, id DESC LIMIT :take
"""
_BEFORE = "AND ({t}.created_at, {t}.id) < (:before_at, :before_id)"
_KEEPS = {"keeps_r": filters.KEEPS_SQL.format(t="r"), "keeps_c": filters.KEEPS_SQL.format(t="c")}
_FOLLOWING = text(_FOLLOWING_SQL.format(before_r="", before_c="", **_KEEPS)).columns(id=Integer)
_FOLLOWING_AFTER = (
    text(
        _FOLLOWING_SQL.format(
            before_r=_BEFORE.format(t="r"), before_c=_BEFORE.format(t="c"), **_KEEPS
        )
    )
    .bindparams(bindparam("before_at", type_=UTCDateTime()))
    .columns(id=Integer)
)


# An author's posts, by which of them the viewer may see: built once, like the feed. Keyed
# by `published` (None: drafts too, for the author's own list).
_BY_AUTHOR = {
    published: HotQuery(
        _cards().where(
            col(Post.owner_id) == bindparam("author_id"),
            *(() if published is None else (col(Post.published).is_(published),)),
        )
    )
    for published in (True, False, None)
}


def by_author(
    *,
    engine: Engine,
    author: User,
    viewer: User | Viewer | None,
    page: int = 1,
    drafts: bool | None = None,
) -> Page:
    """An author's posts; drafts only when the viewer is the author."""
    own = viewer is not None and viewer.id == author.id
    published = True if not own or drafts is False else (False if drafts is True else None)
    params = {**bounds(page), "author_id": author.id}
    return Page.of(_BY_AUTHOR[published].rows(engine, params), page)
