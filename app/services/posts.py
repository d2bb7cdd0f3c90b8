"""Posts: who may see, write, change and remove them.

The listings are in app.services.feeds, votes in app.services.votes.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import rendering
from app.db import HotQuery
from app.models import REASON_MAX, Bookmark, Dismissal, Post, User, Viewer, Vote, status_of
from app.services import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    audit,
    blocks,
    changes,
    filters,
    mentions,
    modlog,
    newcomers,
    report_outcomes,
    tag_counts,
    users,
)
from app.services import tags as _tags
from app.services.feeds import LISTING
from app.services.validation import clean_content, clean_title


def is_public(post: Any) -> bool:
    """Whether everyone may see `post` (a Post or a row with its columns).

    A draft, a hidden post and one set aside for review (`pending_at`, app.services.reports)
    are all unpublished, so this one column answers for each, in Python and SQL (`PUBLIC`).
    """
    return bool(post.published)


# `is_public` as a condition on the `post` table, for lists of things tied to posts.
PUBLIC = col(Post.published).is_(True)


def visible_to(post: Any, viewer: User | Viewer | None) -> bool:
    """The one visibility rule: a post that is not public is its author's alone.

    Nothing tied to such a post (its title, its existence, and later its comments and tags) is
    shown to anyone else, whatever their role: to them it answers 404, as a post that never was.
    The loaders below also apply the account rule (`users.available`): an unavailable
    author's posts are gone for everyone; and the block rule (`shut_out`): to someone their
    author blocked, they are gone too.
    """
    return is_public(post) or (viewer is not None and viewer.id == post.owner_id)


def shut_out(session: Session, post: Any, viewer: User | Viewer | None) -> bool:
    """Whether the post's author blocked `viewer` (app.services.blocks): then it answers 404."""
    return (
        viewer is not None
        and viewer.id != post.owner_id
        and blocks.has_blocked(session, post.owner_id, viewer.id)
    )


def get_visible(
    *, session: Session, post_id: int, viewer: User | Viewer | None
) -> tuple[Post, User]:
    """The post and its author if the viewer may see it (`visible_to`, and an available
    author); 404 otherwise."""
    found = session.exec(
        select(Post, User).join(User, col(User.id) == Post.owner_id).where(Post.id == post_id)
    ).first()
    if found is None or not users.available(found[1]) or not visible_to(found[0], viewer):
        raise NotFound("That post does not exist.")
    if shut_out(session, found[0], viewer):
        raise NotFound("That post does not exist.")
    return found[0], found[1]


def _viewer_has(table: type[Bookmark] | type[Dismissal]) -> Any:
    return exists(
        select(col(table.post_id)).where(
            col(table.post_id) == Post.id, col(table.user_id) == bindparam("viewer")
        )
    )


# The post page in one read: the post, its author's name and whether the viewer voted for it,
# bookmarked or dismissed it (viewer NULL for visitors, which matches no row). sqlmodel types
# select() for 1-4 columns.
_SHOW = HotQuery(
    select(  # type: ignore[call-overload]
        *LISTING,
        col(Vote.user_id).is_not(None).label("voted"),
        _viewer_has(Bookmark).label("bookmarked"),
        _viewer_has(Dismissal).label("dismissed"),
        filters.shuts_out(Post.owner_id).label("shut_out"),  # `shut_out`, in the same read
    )
    .join(User, User.id == Post.owner_id)
    .outerjoin(
        Vote,
        and_(col(Vote.post_id) == Post.id, col(Vote.user_id) == bindparam("viewer")),
    )
    .where(Post.id == bindparam("post_id"))
)


def get_page(*, engine: Engine, post_id: int, viewer: User | Viewer | None) -> Any:
    """What the post page shows, as one row: the post's columns, `author` and `voted`.

    The hot read of `get_visible`: the same rules, on a plain row.
    """
    viewer_id = viewer.id if viewer is not None else None
    rows = _SHOW.rows(engine, {"post_id": post_id, "viewer": viewer_id})
    if not rows or not rows[0].author_available or not visible_to(rows[0], viewer):
        raise NotFound("That post does not exist.")
    if rows[0].shut_out and viewer is not None and viewer.id != rows[0].owner_id:
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
    """What moderators see and act on: public posts, the ones a moderator hid and the ones set
    aside for review. Never a draft: the exception to `visible_to` is the moderation state
    itself, which moderators (or reports) made."""
    return is_public(post) or post.hidden_at is not None or post.pending_at is not None


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


Tags = str | list[str]


def check(*, title: str, content: str, tags: Tags = "") -> dict[str, str]:
    """The field errors a post with this title, content and tags would get (none: it would
    save; whether a new tag may be created is checked on saving)."""
    try:
        _clean(title, content, tags)
    except ValidationFailed as exc:
        return exc.errors
    return {}


def _clean(title: str, content: str, tag_names: Tags) -> tuple[str, str, list[str]]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    cleaners: tuple[tuple[str, Callable[[Any], Any], Any], ...] = (
        ("title", clean_title, title),
        ("content", clean_content, content),
        ("tags", _tags.clean_tags, tag_names),
    )
    for name, cleaner, value in cleaners:
        try:
            clean[name] = cleaner(value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    return clean["title"], clean["content"], clean["tags"]


def _tags_allowed(
    session: Session, names: list[str], user: User, tag_creation: _tags.TagCreation
) -> None:
    try:
        _tags.check_creatable(session=session, names=names, user=user, creation=tag_creation)
    except ValueError as exc:
        raise ValidationFailed({"tags": str(exc)}) from None


def create(
    *,
    session: Session,
    owner: User,
    title: str,
    content: str,
    published: bool,
    tags: Tags = "",
    tag_creation: _tags.TagCreation = "members",
) -> Post:
    title, content, names = _clean(title, content, tags)
    _tags_allowed(session, names, owner, tag_creation)
    limits = None
    if published:
        users.may_act(session, owner)
        limits = newcomers.hold(session, owner)
    assert owner.id is not None
    now = datetime.now(UTC)
    post = Post(
        title=title,
        content=content,
        excerpt=rendering.excerpt(content),
        published=published,
        created_at=now,
        updated_at=now,
        published_at=now if published else None,
        owner_id=owner.id,
    )
    session.add(post)
    session.flush()
    newcomers.check(session, owner, "posts", limits)
    if names:
        _tags.apply(session=session, post=post, names=names, created=True)
        if is_public(post):  # its author is acting, so available
            tag_counts.count_public(session, _only(post), 1)
    _bump(session, post)
    # A draft's mentions are stored now and told when it is published.
    mentions.record(session=session, author=owner, post=post, public=is_public(post), created=True)
    session.commit()
    session.refresh(post)
    return post


def _bump(session: Session, post: Post) -> None:
    changes.bump(session, changes.SITE, changes.user(post.owner_id), changes.post(post.id))


def _only(post: Post) -> Any:
    return select(Post.id).where(Post.id == post.id)


def _counted(session: Session, post: Post) -> bool:
    """Whether `post` counts among its tags' public posts (Tag.public_posts): public, by an
    available author."""
    return is_public(post) and users.available(session.get(User, post.owner_id))


def edit(
    *,
    session: Session,
    post: Post,
    title: str,
    content: str,
    published: bool,
    tags: Tags | None = None,
    tag_creation: _tags.TagCreation = "members",
) -> Post:
    """The author changes their post; a hidden post stays hidden (Conflict if asked to publish).
    `tags` None keeps the post's tags."""
    if published and post.hidden_at is not None:
        raise Conflict(HIDDEN_REPUBLISH)
    if published and post.pending_at is not None:
        raise Conflict(PENDING_REPUBLISH)
    title, content, names = _clean(title, content, "" if tags is None else tags)
    owner = session.get(User, post.owner_id)
    assert owner is not None
    if tags is not None:
        _tags_allowed(session, names, owner, tag_creation)
    limits = None
    publishing = published and not post.published
    if publishing:
        users.may_act(session, owner)
        limits = newcomers.hold(session, owner)
    counted = _counted(session, post)
    post.title, post.content, post.published = title, content, published
    post.excerpt = rendering.excerpt(content)
    post.updated_at = datetime.now(UTC)
    if publishing:
        post.published_at = post.updated_at
    session.add(post)
    if publishing:
        session.flush()
        newcomers.check(session, owner, "posts", limits)
    if counted:  # its old tags lose it, then the tags it carries now gain it if it is public
        tag_counts.count_public(session, _only(post), -1)
    if tags is not None:
        _tags.apply(session=session, post=post, names=names)
    if _counted(session, post):
        tag_counts.count_public(session, _only(post), 1)
    _bump(session, post)
    mentions.record(session=session, author=owner, post=post, public=is_public(post))
    session.commit()
    session.refresh(post)
    return post


def remove(*, session: Session, post: Post, actor: User, reason: str = "") -> None:
    """Delete a post; when `actor` removes someone else's post, the audit log and the public
    moderation log say so (with `reason`, if one was given)."""
    if actor.id != post.owner_id:
        before = audit.post_values(post)
        audit.record(session=session, actor=actor, action="post.delete", target=post, before=before)
        modlog.record(
            session=session,
            action="deleted",
            item_type="post",
            author=session.get(User, post.owner_id),
            reason=reason,
        )
        report_outcomes.settle(
            session=session, item_type="post", item_id=post.id, outcome="deleted"
        )
    if _counted(session, post):
        tag_counts.count_public(session, _only(post), -1)
    _bump(session, post)
    session.delete(post)
    session.commit()


PENDING_REPUBLISH = (
    "Members reported this post, so it is awaiting a moderator and cannot be published until "
    "one decides. You can still edit or delete it."
)
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

    False if it was neither public nor awaiting a moderator (a draft stays its author's
    business; hidden stays hidden).
    """
    if not may_moderate(actor):
        raise Forbidden("Only moderators and administrators hide posts.")
    reason = clean_reason(reason)
    if not is_public(post) and post.pending_at is None:
        return False
    before = status_of(post)
    if _counted(session, post):
        tag_counts.count_public(session, _only(post), -1)
    post.published, post.hidden_at, post.hidden_reason = False, datetime.now(UTC), reason
    post.pending_at = None
    audit.record(
        session=session,
        actor=actor,
        action="post.hide",
        target=post,
        before={"status": before},
        after={"status": "hidden", "reason": reason},
    )
    modlog.record(
        session=session,
        action="hidden",
        item_type="post",
        author=session.get(User, post.owner_id),
        reason=reason,
    )
    report_outcomes.settle(session=session, item_type="post", item_id=post.id, outcome="hidden")
    session.add(post)
    _bump(session, post)
    session.commit()
    return True


def set_aside(*, session: Session, post: Post, at: datetime) -> None:
    """Members' reports take a public post out of every list until a moderator decides
    (app.services.reports); in the caller's transaction. Audited as the site's own doing; not
    a decision, so not in the public log."""
    if is_public(post):
        if _counted(session, post):
            tag_counts.count_public(session, _only(post), -1)
        audit.record(
            session=session,
            actor=None,
            action="post.pend",
            target=post,
            before={"status": "published"},
            after={"status": "pending review"},
            system=True,
        )
        post.published, post.pending_at = False, at
        session.add(post)
        _bump(session, post)


def give_back(*, session: Session, post: Post) -> None:
    """A moderator found nothing wrong with a post set aside: public again, in the caller's
    transaction (the decision's audit entry is the caller's)."""
    if post.pending_at is not None:
        post.published, post.pending_at = True, None
        if _counted(session, post):
            tag_counts.count_public(session, _only(post), +1)
        session.add(post)
        _bump(session, post)


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
    if _counted(session, post):
        tag_counts.count_public(session, _only(post), 1)
    _bump(session, post)
    session.commit()
    return True
