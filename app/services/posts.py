"""Posts and votes: who may see, write and vote, and the feeds."""

import binascii
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, delete, insert, literal, text, tuple_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app import rendering
from app.db import HotQuery
from app.models import REASON_MAX, Follow, Post, User, UTCDateTime, Viewer, Vote
from app.services import Conflict, Forbidden, NotFound, ValidationFailed, audit
from app.services import search as fulltext
from app.services.validation import clean_content, clean_title

PAGE_SIZE = 20
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


_AUTHOR = User.username.label("author")  # type: ignore[attr-defined]
# Everything about a post, for the API, search results and the Following feed (whose cards show
# the excerpt); read straight into rows.
_LISTING = (
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
    Post.owner_id,
    _AUTHOR,
)
# What a card in a page's list shows. The excerpt is plain text stored with the post, so the
# hottest pages neither move whole posts nor parse Markdown.
_CARDS = (
    Post.id,
    Post.title,
    Post.excerpt,
    Post.published,
    Post.created_at,
    Post.vote_count,
    _AUTHOR,
)


def paginate(session: Session, stmt: Any, page: int, size: int = PAGE_SIZE) -> Page:
    """One page of `stmt`'s rows; one extra row is fetched to learn whether a next page exists."""
    page = max(1, min(page, MAX_PAGE))
    rows = session.exec(stmt.limit(size + 1).offset((page - 1) * size)).all()
    return Page(items=list(rows[:size]), number=page, has_next=len(rows) > size)


def _listing(columns: tuple[Any, ...] = _LISTING) -> Any:
    return (
        select(*columns)
        .join(User, User.id == Post.owner_id)  # type: ignore[arg-type]
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
    )


def _cards() -> Any:
    return _listing(_CARDS).limit(bindparam("limit")).offset(bindparam("offset"))


# Built once: on the feed, building a statement costs more than SQLite takes to run it.
_FEED = HotQuery(_cards().where(col(Post.published).is_(True)))


def _page(session: Session, stmt: Any, page: int, size: int = PAGE_SIZE) -> Page:
    """`paginate` for prebuilt card statements, whose limit and offset are bound parameters."""
    page = max(1, min(page, MAX_PAGE))
    # A listing is one read of plain rows on a pooled connection of its own: far cheaper than
    # the session's transaction bookkeeping, and an anonymous page never opens the session.
    with session.get_bind().connect() as connection:
        items = list(connection.execute(stmt, {"limit": size + 1, "offset": (page - 1) * size}))
    return Page(items=items[:size], number=page, has_next=len(items) > size)


def feed(*, engine: Engine, page: int = 1) -> Page:
    """Published posts, newest first: one indexed query however large the table grows.

    Takes the engine, not a session: one plain read, with no ORM state to set up or clean.
    """
    page = max(1, min(page, MAX_PAGE))
    items = _FEED.rows(engine, {"limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE})
    return Page(items=items[:PAGE_SIZE], number=page, has_next=len(items) > PAGE_SIZE)


@dataclass(frozen=True)
class Position:
    """A place in the newest-first order: the (created_at, id) of the last post seen."""

    created_at: datetime
    id: int


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL (as app.deps.MAX_ID)


def encode_position(position: Position | int) -> str:
    """An opaque cursor for a place in a list: a Position, or an offset into ranked results."""
    if isinstance(position, int):
        raw = f"o{position}"
    else:
        raw = f"{(position.created_at - EPOCH) // timedelta(microseconds=1)}:{position.id}"
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(cursor: str) -> Position | int:
    """The place `encode_position` wrote into `cursor`; ValueError for anything else."""
    try:
        raw = urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if raw.startswith("o"):
            offset = int(raw[1:])
            if not 0 <= offset <= MAX_ID:
                raise ValueError("offset out of range")
            return offset
        micros, post_id = (int(part) for part in raw.split(":"))
        if not 1 <= post_id <= MAX_ID:
            raise ValueError("id out of range")
        return Position(EPOCH + timedelta(microseconds=micros), post_id)
    except (OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc


@dataclass(frozen=True)
class Window:
    """Up to `limit` posts, and where the next window starts (None after the last post): a
    position in newest-first lists, an offset into ranked search results."""

    items: list[Any]
    next: Position | int | None


def search(
    *,
    session: Session,
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
        return _ranked(session, fulltext.terms(text), author, limit, offset)
    stmt = _listing().where(col(Post.published).is_(True))
    if author:
        stmt = stmt.where(User.username_key == author.lower())
    if after is not None:
        stmt = stmt.where(tuple_(Post.created_at, Post.id) < tuple_(after.created_at, after.id))
    rows = session.exec(stmt.offset(offset).limit(limit + 1)).all()
    items = list(rows[:limit])
    more = len(rows) > limit
    return Window(items, Position(items[-1].created_at, items[-1].id) if more else None)


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
        select(*_LISTING)
        .join(ranked, ranked.c.id == Post.id)
        .join(User, User.id == Post.owner_id)  # type: ignore[arg-type]
        .where(col(Post.published).is_(True))
        .order_by(ranked.c.score.desc(), col(Post.id).desc())
    )


# Built once per database and author filter: building and compiling this statement cost a
# third as much as SQLite takes to rank a common word's matches.
_RANKED = {
    (dialect, by_author): HotQuery(_ranked_statement(dialect, by_author))
    for dialect in ("sqlite", "postgresql")
    for by_author in (False, True)
}


def _ranked(session: Session, words: list[str], author: str, limit: int, offset: int) -> Window:
    if not words or offset >= fulltext.SEARCH_WINDOW:
        return Window([], None)
    engine = session.get_bind()
    dialect = engine.dialect.name
    params = {**fulltext.query_params(dialect, words, author), "limit": limit + 1}
    rows = _RANKED[dialect, bool(author)].rows(engine, {**params, "offset": offset})
    items = list(rows[:limit])
    more = len(rows) > limit
    return Window(items, offset + limit if more else None)


TOP_DAYS = 7


def top(*, session: Session, page: int = 1, now: datetime | None = None) -> Page:
    """The last TOP_DAYS days' published posts, most votes first.

    What bounds the work: the week's posts are one range of ix_post_top (published, created_at,
    vote_count), sorted by votes inside the index alone; only the page's rows are then read from
    the table. The cost follows the number of posts in a week, never the size of the table.
    """
    page = max(1, min(page, MAX_PAGE))
    since = (now or datetime.now(UTC)) - timedelta(days=TOP_DAYS)
    params = {"since": since, "offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE + 1}
    rows = _TOP.rows(session.get_bind(), params)
    return Page(items=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


_TOP_RANKED = (
    select(Post.id, Post.vote_count)
    .where(col(Post.published).is_(True), Post.created_at >= bindparam("since"))  # type: ignore[arg-type]
    .order_by(col(Post.vote_count).desc(), col(Post.id).desc())
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
    .subquery("ranked")
)
_TOP = HotQuery(
    select(*_CARDS)
    .join(_TOP_RANKED, _TOP_RANKED.c.id == Post.id)
    .join(User, User.id == Post.owner_id)  # type: ignore[arg-type]
    .order_by(_TOP_RANKED.c.vote_count.desc(), _TOP_RANKED.c.id.desc())
)


def following(
    *, session: Session, user: User, limit: int = PAGE_SIZE, after: Position | None = None
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
    if session.get_bind().dialect.name == "postgresql":
        candidates = _following_lateral(user, take, after)
    else:
        params: dict[str, Any] = {"follower": user.id, "last": take - 1, "take": take}
        if after is not None:
            params.update(before_at=after.created_at, before_id=after.id)
        candidates = (_FOLLOWING_AFTER if after else _FOLLOWING).bindparams(**params)
    stmt = (
        select(*_LISTING)
        .join(User, User.id == Post.owner_id)  # type: ignore[arg-type]
        .where(col(Post.id).in_(candidates))
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
    )
    rows = session.exec(stmt).all()
    items = list(rows[:limit])
    more = len(rows) > limit
    return Window(items, Position(items[-1].created_at, items[-1].id) if more else None)


def _following_lateral(user: User, take: int, after: Position | None) -> Any:
    """PostgreSQL: the newest `take` post ids of each followed author (LATERAL), newest first."""
    followed = select(Follow.followed_id).where(Follow.follower_id == user.id).subquery("f")  # type: ignore[arg-type]
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
    session: Session,
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
    return _page(session, stmt, page)


def is_public(post: Any) -> bool:
    """Whether everyone may see `post` (a Post or a row with its columns)."""
    return bool(post.published)


def visible_to(post: Any, viewer: User | Viewer | None) -> bool:
    """The one visibility rule: a post that is not public is its author's alone.

    Nothing tied to such a post (its title, its existence, and later its comments and tags) is
    shown to anyone else, whatever their role: to them it answers 404, as a post that never was.
    """
    return is_public(post) or (viewer is not None and viewer.id == post.owner_id)


def get_visible(
    *, session: Session, post_id: int, viewer: User | Viewer | None
) -> tuple[Post, User]:
    """The post and its author if the viewer may see it (`visible_to`); 404 otherwise."""
    found = session.exec(
        select(Post, User).join(User, User.id == Post.owner_id).where(Post.id == post_id)  # type: ignore[arg-type]
    ).first()
    if found is None or not visible_to(found[0], viewer):
        raise NotFound("That post does not exist.")
    return found[0], found[1]


# The post page in one read: the post, its author's name and whether the viewer voted for it
# (viewer NULL for visitors, which matches no vote).
_SHOW = HotQuery(
    select(*_LISTING, col(Vote.user_id).is_not(None).label("voted"))
    .join(User, User.id == Post.owner_id)  # type: ignore[arg-type]
    .outerjoin(
        Vote,
        and_(Vote.post_id == Post.id, Vote.user_id == bindparam("viewer")),  # type: ignore[arg-type]
    )
    .where(Post.id == bindparam("post_id"))
)


def get_page(*, engine: Engine, post_id: int, viewer: User | Viewer | None) -> Any:
    """What the post page shows, as one row: the post's columns, `author` and `voted`.

    The hot read of `get_visible`: the same rule (`visible_to`), on a plain row.
    """
    viewer_id = viewer.id if viewer is not None else None
    rows = _SHOW.rows(engine, {"post_id": post_id, "viewer": viewer_id})
    if not rows or not visible_to(rows[0], viewer):
        raise NotFound("That post does not exist.")
    return rows[0]


def get_owned(*, session: Session, post_id: int, user: User) -> Post:
    """The post if `user` owns it: 404 if they may not see it, 403 if it is someone else's."""
    post, _ = get_visible(session=session, post_id=post_id, viewer=user)
    if post.owner_id != user.id:
        raise Forbidden("Only the author can change this post.")
    return post


def get_votable(*, session: Session, post_id: int, user: User | Viewer) -> Post:
    """The post if `user` may vote on it: one they may see (404 otherwise), not their own (403)."""
    post, _ = get_visible(session=session, post_id=post_id, viewer=user)
    if post.owner_id == user.id:
        raise Forbidden("You cannot vote for your own post.")
    return post


def may_moderate(user: User | Viewer | None) -> bool:
    """The one permission check for acting on other people's posts (pages, admin and API)."""
    return user is not None and user.is_active and user.is_moderator


def in_moderation_view(post: Any) -> bool:
    """What moderators see and act on: public posts and the ones a moderator hid. Never a draft:
    the exception to `visible_to` is the moderation state itself, which moderators made."""
    return is_public(post) or post.hidden_at is not None


def get_moderated(*, session: Session, post_id: int, user: User) -> Post:
    """A post a moderator may hide, restore or delete (`in_moderation_view`); 404 otherwise."""
    post = session.get(Post, post_id)
    if post is None or not may_moderate(user) or not in_moderation_view(post):
        raise NotFound("That post does not exist.")
    return post


def get_removable(*, session: Session, post_id: int, user: User) -> Post:
    """The post if `user` may delete it: their own, or (moderators and admins) one in the
    moderation view. Someone else's draft is 404 to moderators too."""
    if may_moderate(user):
        post = session.get(Post, post_id)
        if post is not None and (post.owner_id == user.id or in_moderation_view(post)):
            return post
    return get_owned(session=session, post_id=post_id, user=user)


def check(*, title: str, content: str) -> dict[str, str]:
    """The field errors a post with this title and content would get (none: it would save)."""
    try:
        _clean(title, content)
    except ValidationFailed as exc:
        return exc.errors
    return {}


def _clean(title: str, content: str) -> tuple[str, str]:
    errors, clean = {}, {}
    for name, cleaner, value in (
        ("title", clean_title, title),
        ("content", clean_content, content),
    ):
        try:
            clean[name] = cleaner(value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    return clean["title"], clean["content"]


def create(*, session: Session, owner: User, title: str, content: str, published: bool) -> Post:
    title, content = _clean(title, content)
    assert owner.id is not None
    post = Post(
        title=title,
        content=content,
        excerpt=rendering.excerpt(content),
        published=published,
        owner_id=owner.id,
    )
    session.add(post)
    session.commit()
    session.refresh(post)
    return post


def edit(*, session: Session, post: Post, title: str, content: str, published: bool) -> Post:
    """The author changes their post; a hidden post stays hidden (Conflict if asked to publish)."""
    if published and post.hidden_at is not None:
        raise Conflict(HIDDEN_REPUBLISH)
    title, content = _clean(title, content)
    post.title, post.content, post.published = title, content, published
    post.excerpt = rendering.excerpt(content)
    post.updated_at = datetime.now(UTC)
    session.add(post)
    session.commit()
    session.refresh(post)
    return post


def remove(*, session: Session, post: Post, actor: User) -> None:
    """Delete a post; when `actor` removes someone else's post, the audit log says so."""
    if actor.id != post.owner_id:
        before = audit.post_values(post)
        audit.record(session=session, actor=actor, action="post.delete", target=post, before=before)
    session.delete(post)
    session.commit()


HIDDEN_REPUBLISH = (
    "A moderator hid this post, so it cannot be published again. You can still edit or delete "
    "it; a moderator may restore it."
)


def clean_reason(reason: str) -> str:
    """A moderator's reason, as the author will read it; ValidationFailed if empty or long."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed({"reason": "Say why, in a few words: the author will read it."})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": f"Keep the reason under {REASON_MAX} characters."})
    return reason


def hide(*, session: Session, post: Post, actor: User, reason: str) -> bool:
    """A moderator takes someone's public post out of every list, with a reason its author sees.

    False if it was not public (a draft stays its author's business; hidden stays hidden).
    """
    if not may_moderate(actor):
        raise Forbidden("Only moderators and administrators hide posts.")
    reason = clean_reason(reason)
    if not is_public(post):
        return False
    post.published, post.hidden_at, post.hidden_reason = False, datetime.now(UTC), reason
    audit.record(
        session=session,
        actor=actor,
        action="post.hide",
        target=post,
        before={"status": "published"},
        after={"status": "hidden", "reason": reason},
    )
    session.add(post)
    session.commit()
    return True


def restore(*, session: Session, post: Post, actor: User) -> bool:
    """A moderator publishes a hidden post again; False if it was not hidden."""
    if not may_moderate(actor):
        raise Forbidden("Only moderators and administrators restore posts.")
    if post.hidden_at is None:
        return False
    reason = post.hidden_reason
    post.published, post.hidden_at, post.hidden_reason = True, None, None
    audit.record(
        session=session,
        actor=actor,
        action="post.restore",
        target=post,
        before={"status": "hidden", "reason": reason},
        after={"status": "published"},
    )
    session.add(post)
    session.commit()
    return True


def has_voted(*, session: Session, post_id: int, user: User | None) -> bool:
    if user is None:
        return False
    return session.get(Vote, (user.id, post_id)) is not None


def add_vote(*, session: Session, post: Post, user: User) -> bool:
    """Vote once; False if the vote was already there. The counter moves in the same transaction."""
    try:
        session.exec(
            insert(Vote).values(
                user_id=user.id,
                post_id=post.id,  # type: ignore[call-overload]
                created_at=datetime.now(UTC),
            )
        )
    except IntegrityError:
        session.rollback()
        return False
    session.exec(
        update(Post)
        .where(Post.id == post.id)  # type: ignore[call-overload,arg-type]
        .values(vote_count=Post.vote_count + 1)
    )
    session.commit()
    return True


def remove_vote(*, session: Session, post: Post, user: User) -> bool:
    """Withdraw a vote; False if there was none."""
    result = session.exec(delete(Vote).where(Vote.user_id == user.id, Vote.post_id == post.id))  # type: ignore[call-overload,arg-type]
    if not result.rowcount:
        session.rollback()
        return False
    session.exec(
        update(Post)
        .where(Post.id == post.id)  # type: ignore[call-overload,arg-type]
        .values(vote_count=Post.vote_count - 1)
    )
    session.commit()
    return True


def toggle_vote(*, session: Session, post: Post, user: User) -> bool:
    """Add the vote if absent, withdraw it if present; returns whether the user now votes."""
    if remove_vote(session=session, post=post, user=user):
        return False
    add_vote(session=session, post=post, user=user)
    return True


def vote_count(*, session: Session, post_id: int) -> int:
    post = session.get(Post, post_id, populate_existing=True)
    return post.vote_count if post else 0
