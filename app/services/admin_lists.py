"""The admin lists (users, posts, audit log): one query each, shared by the page and its CSV.

Sharing the query is what makes an export hold exactly the rows the admin sees on screen.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from app.models import AuditLog, Post, User
from app.pagination import Page, paginate

PAGE_SIZE = 50

_POST_COUNT = (
    select(func.count())
    .where(Post.owner_id == User.id)
    .correlate(User)
    .scalar_subquery()
    .label("post_count")
)
USER_SORTS: dict[str, Any] = {
    "username": col(User.username_key),
    "email": col(User.email),
    "role": col(User.role),
    "active": col(User.is_active),
    "joined": col(User.created_at),
    "posts": _POST_COUNT,
}
POST_SORTS: dict[str, Any] = {
    "title": func.lower(Post.title),
    "author": col(User.username_key),
    "status": col(Post.published),
    "votes": col(Post.vote_count),
    "created": col(Post.created_at),
}


@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    role: str = ""  # "", or one of ROLES
    active: str = ""  # "", "yes" or "no"
    sort: str = "joined"  # a key of USER_SORTS
    dir: str = "desc"  # "asc" or "desc"


@dataclass(frozen=True)
class PostFilter:
    q: str = ""
    status: str = ""  # "", "published" or "hidden" (drafts are their authors' alone)
    author: str = ""  # a username
    sort: str = "created"  # a key of POST_SORTS
    dir: str = "desc"


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    target_type: str = ""
    target_id: int | None = None


def _ordered(stmt: Any, column: Any, direction: str, tiebreak: Any) -> Any:
    if direction == "asc":
        return stmt.order_by(column.asc(), tiebreak.asc())
    return stmt.order_by(column.desc(), tiebreak.desc())


def _users(f: UserFilter) -> Any:
    stmt = select(User, _POST_COUNT)
    if needle := f.q.strip().lower():
        stmt = stmt.where(
            or_(
                col(User.username_key).contains(needle, autoescape=True),
                col(User.email).contains(needle, autoescape=True),
            )
        )
    if f.role:
        stmt = stmt.where(User.role == f.role)
    if f.active:
        stmt = stmt.where(col(User.is_active).is_(f.active == "yes"))
    return _ordered(stmt, USER_SORTS[f.sort], f.dir, col(User.id))


def _posts(f: PostFilter) -> Any:
    stmt = select(  # type: ignore[call-overload]  # sqlmodel types select() for 1-4 columns
        col(Post.id),
        col(Post.title),
        col(Post.published),
        col(Post.hidden_at),
        col(Post.hidden_reason),
        col(Post.pending_at),
        col(Post.vote_count),
        col(Post.created_at),
        col(Post.owner_id),
        col(User.username).label("author"),
    ).join(User, col(User.id) == col(Post.owner_id))
    # posts.in_moderation_view as SQL: public posts and hidden ones, never a draft (not even
    # its title, nor that it exists).
    stmt = stmt.where(
        or_(
            col(Post.published).is_(True),
            col(Post.hidden_at).is_not(None),
            col(Post.pending_at).is_not(None),
        )
    )
    if needle := f.q.strip().lower():
        stmt = stmt.where(
            or_(
                func.lower(Post.title).contains(needle, autoescape=True),
                func.lower(Post.content).contains(needle, autoescape=True),
            )
        )
    if f.status:
        stmt = stmt.where(col(Post.published).is_(f.status == "published"))
    if f.author.strip():
        stmt = stmt.where(User.username_key == f.author.strip().lower())
    return _ordered(stmt, POST_SORTS[f.sort], f.dir, col(Post.id))


def users_page(*, session: Session, filters: UserFilter, page: int) -> Page:
    """Rows of (user, post_count)."""
    return paginate(session, _users(filters), page, PAGE_SIZE)


def users_all(*, session: Session, filters: UserFilter) -> list[Any]:
    return list(session.exec(_users(filters)).all())


def posts_page(*, session: Session, filters: PostFilter, page: int) -> Page:
    """Rows with id, title, published, hidden_at, hidden_reason, vote_count, created_at,
    owner_id and author: public and hidden posts, never drafts."""
    return paginate(session, _posts(filters), page, PAGE_SIZE)


def posts_all(*, session: Session, filters: PostFilter) -> list[Any]:
    return list(session.exec(_posts(filters)).all())


def posts_by_id(*, session: Session, post_ids: list[int]) -> list[Any]:
    """The listed posts that still exist, in the list's row shape (for the confirmation page)."""
    stmt = _posts(PostFilter(sort="created", dir="desc")).where(col(Post.id).in_(post_ids))
    return list(session.exec(stmt).all())


def audit_page(*, session: Session, filters: AuditFilter, page: int) -> Page:
    stmt = select(AuditLog)
    if filters.action:
        stmt = stmt.where(AuditLog.action == filters.action)
    if filters.actor.strip():
        stmt = stmt.where(func.lower(AuditLog.actor_name) == filters.actor.strip().lower())
    if filters.target_type:
        stmt = stmt.where(AuditLog.target_type == filters.target_type)
    if filters.target_id is not None:
        stmt = stmt.where(AuditLog.target_id == filters.target_id)
    stmt = stmt.order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
    return paginate(session, stmt, page, PAGE_SIZE)
