"""Posts and votes: who may see, write and vote, and the feed."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, literal, or_, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import Post, User, Vote
from app.services import Forbidden, NotFound, ValidationFailed, audit
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


# The listing's columns, read straight into rows: no ORM objects to build on the hottest pages.
EXCERPT_CHARS = 240
# The feed shows the start of each post; cutting it in SQL saves moving and escaping the rest.
_EXCERPT = case(
    (
        func.length(Post.content) > EXCERPT_CHARS,
        func.substr(Post.content, 1, EXCERPT_CHARS) + literal("…"),
    ),
    else_=Post.content,
).label("excerpt")
_AUTHOR = User.username.label("author")  # type: ignore[attr-defined]
# Everything about a post, for the API; read straight into rows, no ORM objects to build.
_LISTING = (
    Post.id,
    Post.title,
    Post.content,
    Post.published,
    Post.created_at,
    Post.updated_at,
    Post.vote_count,
    Post.owner_id,
    _AUTHOR,
)
# What a card in a page's list shows.
_CARDS = (Post.id, Post.title, _EXCERPT, Post.published, Post.created_at, Post.vote_count, _AUTHOR)


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
_FEED = _cards().where(col(Post.published).is_(True))


def _page(session: Session, stmt: Any, page: int, size: int = PAGE_SIZE) -> Page:
    """`paginate` for prebuilt card statements, whose limit and offset are bound parameters."""
    page = max(1, min(page, MAX_PAGE))
    # A listing is one read of plain rows: a pooled connection of its own costs far less than the
    # session's transaction bookkeeping, and an anonymous page then never opens the session.
    with session.get_bind().connect() as connection:
        rows = connection.execute(stmt, {"limit": size + 1, "offset": (page - 1) * size})
        items = rows.all()
    return Page(items=items[:size], number=page, has_next=len(items) > size)


def feed(*, session: Session, page: int = 1) -> Page:
    """Published posts, newest first: one indexed query however large the table grows."""
    return _page(session, _FEED, page)


@dataclass(frozen=True)
class Position:
    """A place in the newest-first order: the (created_at, id) of the last post seen."""

    created_at: datetime
    id: int


@dataclass(frozen=True)
class Window:
    """Up to `limit` posts, and where the next window starts (None after the last post)."""

    items: list[Any]
    next: Position | None


def search(
    *,
    session: Session,
    text: str = "",
    author: str = "",
    limit: int = PAGE_SIZE,
    after: Position | None = None,
    offset: int = 0,
) -> Window:
    """Published posts whose title or content contains `text` (any case), newest first.

    The one search used by the API and pages; empty `text` matches every post and `author`
    (a username) narrows to one author. Pages continue from `after` with an indexed keyset
    condition, so any depth costs the same. Full-text search will replace the match rule.
    """
    stmt = _listing().where(col(Post.published).is_(True))
    if author:
        stmt = stmt.where(User.username_key == author.lower())
    if text:
        stmt = stmt.where(
            or_(
                col(Post.title).icontains(text, autoescape=True),
                col(Post.content).icontains(text, autoescape=True),
            )
        )
    if after is not None:
        stmt = stmt.where(tuple_(Post.created_at, Post.id) < tuple_(after.created_at, after.id))
    rows = session.exec(stmt.offset(offset).limit(limit + 1)).all()
    items = list(rows[:limit])
    more = len(rows) > limit
    return Window(items, Position(items[-1].created_at, items[-1].id) if more else None)


def by_author(
    *,
    session: Session,
    author: User,
    viewer: User | None,
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


def get_visible(*, session: Session, post_id: int, viewer: User | None) -> tuple[Post, User]:
    """The post and its author if the viewer may see it; drafts are 404 to everyone else."""
    found = session.exec(
        select(Post, User).join(User, User.id == Post.owner_id).where(Post.id == post_id)  # type: ignore[arg-type]
    ).first()
    if found is None:
        raise NotFound("That post does not exist.")
    post, author = found
    if not post.published and (viewer is None or viewer.id != post.owner_id):
        raise NotFound("That post does not exist.")
    return post, author


def get_page(*, session: Session, post_id: int, viewer: User | None) -> tuple[Post, User, bool]:
    """What the post page shows: the post, its author, and whether the viewer voted for it."""
    post, author = get_visible(session=session, post_id=post_id, viewer=viewer)
    return post, author, has_voted(session=session, post_id=post_id, user=viewer)


def get_owned(*, session: Session, post_id: int, user: User) -> Post:
    """The post if `user` owns it: 404 if it is hidden from them, 403 if it is someone else's."""
    post, _ = get_visible(session=session, post_id=post_id, viewer=user)
    if post.owner_id != user.id:
        raise Forbidden("Only the author can change this post.")
    return post


def may_moderate(user: User | None) -> bool:
    """The one permission check for acting on other people's posts (pages, admin and API)."""
    return user is not None and user.is_active and user.is_moderator


def get_removable(*, session: Session, post_id: int, user: User) -> Post:
    """The post if `user` may delete or unpublish it: its owner, or a moderator or admin."""
    if may_moderate(user):
        post = session.get(Post, post_id)
        if post is None:
            raise NotFound("That post does not exist.")
        return post
    return get_owned(session=session, post_id=post_id, user=user)


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
    post = Post(title=title, content=content, published=published, owner_id=owner.id)
    session.add(post)
    session.commit()
    session.refresh(post)
    return post


def edit(*, session: Session, post: Post, title: str, content: str, published: bool) -> Post:
    title, content = _clean(title, content)
    post.title, post.content, post.published = title, content, published
    post.updated_at = datetime.now(UTC)
    session.add(post)
    session.commit()
    session.refresh(post)
    return post


def remove(*, session: Session, post: Post, actor: User | None = None) -> None:
    """Delete a post; when `actor` is a moderator removing someone else's post, audit it."""
    if actor is not None and actor.id != post.owner_id:
        before = audit.post_values(post)
        audit.record(session=session, actor=actor, action="post.delete", target=post, before=before)
    session.delete(post)
    session.commit()


def unpublish(*, session: Session, post: Post, actor: User) -> bool:
    """Take a post out of the feed (it becomes its author's draft); False if it already was one."""
    if not post.published:
        return False
    post.published = False
    if actor.id != post.owner_id:
        audit.record(
            session=session,
            actor=actor,
            action="post.unpublish",
            target=post,
            before={"published": True},
            after={"published": False},
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
