"""Tags: the rule for a tag's name, the tags a post carries, following and filtering them, and
what moderators do to them (describe, rename, merge).

A tag shows (on /tags, its page, its count) only through public posts by available authors:
a tag used only on drafts, hidden posts or by unavailable accounts is invisible.
The listings of a tag's posts are in app.services.feeds.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, func, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import (
    TAG_DESCRIPTION_MAX,
    TAG_MAX,
    TAGS_PER_POST,
    Post,
    PostTag,
    Tag,
    TagAlias,
    TagFilter,
    TagFollow,
    User,
    Viewer,
)
from app.pagination import Page, bounds
from app.services import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationFailed,
    audit,
    changes,
)
from app.services.users import AVAILABLE

TagCreation = Literal["members", "moderators"]
NAME_RE = re.compile(rf"[a-z0-9-]{{1,{TAG_MAX}}}", re.ASCII)
NAME_RULE = f"letters a-z, digits and '-', up to {TAG_MAX} characters"
MAX_TAGS_FOLLOWED = 1_000
MAX_TAGS_FILTERED = 1_000
SUGGESTED = 200  # the editor's list of tags to choose from
SUGGESTED_FROM = 500  # ... taken from this many of the newest public posts
_SEPARATORS = re.compile(r"[\s,]+")

# A post's tags count where everyone may see the post: the SQL of posts.is_public, with an
# available author (users.AVAILABLE), as every listing reads it.
PUBLIC_POST = (col(Post.published).is_(True), AVAILABLE)


class TagMoved(DomainError):
    """The name was a tag's before a rename or merge; `name` is what it is called now."""

    status_code = 301

    def __init__(self, name: str) -> None:
        super().__init__(f"That tag is now called {name}.")
        self.name = name


def moved_path(path: str, old: str, new: str) -> str:
    """`path` (a URL path naming the tag `old` as one segment) naming `new` instead."""
    return "/".join(new if part == old else part for part in path.split("/"))


def clean_name(value: str) -> str:
    """One tag's name, lower-cased; ValueError saying what is wrong with it."""
    name = value.strip().lower()
    if not name:
        raise ValueError("A tag needs a name.")
    if len(name) > TAG_MAX:
        raise ValueError(f"A tag has at most {TAG_MAX} characters; “{name[:40]}” has {len(name)}.")
    if not NAME_RE.fullmatch(name):
        raise ValueError(f"Tags use only {NAME_RULE}; “{name[:40]}” does not.")
    return name


def clean_tags(value: str | list[str]) -> list[str]:
    """A post's tags from the editor's text (separated by spaces or commas) or a list: each
    lower-cased, duplicates dropped, at most TAGS_PER_POST; ValueError otherwise."""
    raw = _SEPARATORS.split(value) if isinstance(value, str) else value
    names: list[str] = []
    for item in raw:
        if isinstance(value, str) and not item:
            continue
        name = clean_name(item)
        if name not in names:
            names.append(name)
    if len(names) > TAGS_PER_POST:
        raise ValueError(f"A post has at most {TAGS_PER_POST} tags; this one has {len(names)}.")
    return names


def names_of(post_id: int | None, session: Session) -> list[str]:
    """The tags `post_id` carries, by name."""
    if post_id is None:
        return []
    stmt = (
        select(col(Tag.name))
        .join(PostTag, col(PostTag.tag_id) == Tag.id)
        .where(PostTag.post_id == post_id)
        .order_by(col(Tag.name))
    )
    return list(session.exec(stmt).all())


def split(names: str | None) -> list[str]:
    """The names in a listing row's `tags` column (spaces between them), in order."""
    return sorted(names.split()) if names else []


def check_creatable(
    *, session: Session, names: list[str], user: User, creation: TagCreation
) -> None:
    """ValueError if `names` holds a tag that does not exist and `user` may not create it."""
    if creation == "members" or user.is_moderator or not names:
        return
    known = set(session.exec(select(col(Tag.name)).where(col(Tag.name).in_(names))).all())
    missing = [name for name in names if name not in known]
    if missing:
        raise ValueError(
            f"There is no tag “{missing[0]}” yet, and only moderators create tags. "
            "Choose one that exists."
        )


def _tag_for(session: Session, name: str) -> Tag:
    """The tag called `name`, created if need be (the follows of a renamed tag's old name stay
    with the tag: an old name is its alias, never a new tag)."""
    alias = session.get(TagAlias, name)
    if alias is not None:
        moved = session.get(Tag, alias.tag_id)
        if moved is not None:
            return moved
    tag = session.exec(select(Tag).where(Tag.name == name)).first()
    if tag is not None:
        return tag
    try:
        with session.begin_nested():
            tag = Tag(name=name)
            session.add(tag)
    except IntegrityError:
        # Someone created the same tag at the same moment: theirs it is.
        tag = session.exec(select(Tag).where(Tag.name == name)).one()
    return tag


def apply(*, session: Session, post: Post, names: list[str], created: bool = False) -> None:
    """Make `post` carry exactly the tags `names` (already cleaned), in the caller's
    transaction: the post must be flushed (it has an id). `created`: it was
    created in this transaction, so it carries none yet."""
    assert post.id is not None
    wanted: set[int] = set()
    for name in names:
        tag_id = _tag_for(session, name).id
        assert tag_id is not None
        wanted.add(tag_id)
    current: set[int] = (
        set()
        if created
        else set(session.exec(select(PostTag.tag_id).where(PostTag.post_id == post.id)).all())
    )
    gone = current - wanted
    if gone:
        session.exec(
            delete(PostTag).where(col(PostTag.post_id) == post.id, col(PostTag.tag_id).in_(gone))
        )
    for tag_id in wanted - current:
        session.add(PostTag(post_id=post.id, tag_id=tag_id, created_at=post.created_at))


# --- a count afresh (the writes keep it in step: app.services.tag_counts) ---------------------


def recount(session: Session, tag_id: int) -> None:
    """Count one tag's public posts afresh (after a merge moved posts onto it)."""
    exact = (
        select(func.count())
        .select_from(PostTag)
        .join(Post, col(Post.id) == PostTag.post_id)
        .join(User, col(User.id) == Post.owner_id)
        .where(PostTag.tag_id == tag_id, *PUBLIC_POST)
        .scalar_subquery()
    )
    session.exec(update(Tag).where(col(Tag.id) == tag_id).values(public_posts=exact))


@dataclass(frozen=True)
class Listed:
    name: str
    description: str
    posts: int


def listing(*, session: Session, page: int = 1) -> Page:
    """Visible tags, most used first (`Listed` items), one numbered page: the stored counts,
    so the cost follows the number of tags, never of posts."""
    stmt = (
        select(Tag.name, Tag.description, Tag.public_posts)
        .where(Tag.public_posts > 0)
        .order_by(col(Tag.public_posts).desc(), col(Tag.name))
    )
    limits = bounds(page)
    rows = session.exec(stmt.limit(limits["limit"]).offset(limits["offset"])).all()
    return Page.of([Listed(*row) for row in rows], page)


def most_used(*, engine: Engine, limit: int = 8, among: int = 1_000) -> list[Listed]:
    """The `limit` tags on the most of the newest `among` public posts: what people write about
    now, at a cost bounded like `suggestions` (counting every tag use grows with the site)."""
    recent = (
        select(Post.id)
        .join(User, col(User.id) == Post.owner_id)
        .where(*PUBLIC_POST)
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
        .limit(among)
        .subquery("recent")
    )
    posts = func.count().label("posts")
    stmt = (
        select(Tag.name, Tag.description, posts)
        .join(PostTag, col(PostTag.tag_id) == Tag.id)
        .join(recent, recent.c.id == PostTag.post_id)
        .group_by(col(Tag.id), col(Tag.name), col(Tag.description))
        .order_by(posts.desc(), col(Tag.name))
        .limit(limit)
    )
    with engine.connect() as connection:
        return [Listed(*row) for row in connection.execute(stmt).all()]


def suggestions(*, session: Session) -> list[str]:
    """The tags the editor offers, by name: those on the newest SUGGESTED_FROM public posts.

    Bounded (one range of ix_post_feed and each post's few tags), unlike counting every tag's
    uses, which reads every post_tag row.
    """
    recent = (
        select(Post.id)
        .join(User, col(User.id) == Post.owner_id)
        .where(*PUBLIC_POST)
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
        .limit(SUGGESTED_FROM)
        .subquery("recent")
    )
    stmt = (
        select(col(Tag.name))
        .join(PostTag, col(PostTag.tag_id) == Tag.id)
        .join(recent, recent.c.id == PostTag.post_id)
        .distinct()
        .order_by(col(Tag.name))
        .limit(SUGGESTED)
    )
    return list(session.exec(stmt).all())


def get_visible(*, session: Session, name: str) -> Tag:
    """The tag called `name` (any case) if it shows; TagMoved for an old name, else NotFound."""
    tag = named(session=session, name=name)
    if not shows(session, tag):
        raise NotFound("There is no such tag.")
    return tag


def named(*, session: Session, name: str) -> Tag:
    """The tag called `name` (any case), shown or not: `get_visible` before its last check, for
    a feed that answers 304 before it reads any post. TagMoved for an old name of a tag that
    shows, else NotFound."""
    key = name.strip().lower()
    if not NAME_RE.fullmatch(key):
        raise NotFound("There is no such tag.")
    tag = session.exec(select(Tag).where(Tag.name == key)).first()
    if tag is None:
        alias = session.get(TagAlias, key)
        moved = session.get(Tag, alias.tag_id) if alias is not None else None
        if moved is not None and shows(session, moved):
            raise TagMoved(moved.name)
        raise NotFound("There is no such tag.")
    return tag


def shows(session: Session, tag: Tag) -> bool:
    """Whether a public post carries `tag`: the newest ones first, stopping at the first."""
    stmt = (
        select(PostTag.post_id)
        .join(Post, col(Post.id) == PostTag.post_id)
        .join(User, col(User.id) == Post.owner_id)
        .where(PostTag.tag_id == tag.id, *PUBLIC_POST)
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def id_of(*, session: Session, name: str) -> int | None:
    """The id of the tag `name` means (an old name means its tag now), or None."""
    key = name.strip().lower()
    if not NAME_RE.fullmatch(key):
        return None
    found = session.exec(select(Tag.id).where(Tag.name == key)).first()
    if found is None:
        found = session.exec(select(TagAlias.tag_id).where(TagAlias.name == key)).first()
    return found


# --- following and filtering ------------------------------------------------------------------


def _mark(
    session: Session, table: type[TagFollow] | type[TagFilter], user: User, tag: Tag, cap: int
) -> bool:
    if session.get(table, (user.id, tag.id)) is not None:
        return False
    count = session.exec(select(func.count()).where(table.user_id == user.id)).one()
    if count >= cap:
        raise Conflict(f"You can keep at most {cap:,} tags in this list.")
    try:
        session.exec(
            insert(table).values(user_id=user.id, tag_id=tag.id, created_at=datetime.now(UTC))
        )
        changes.bump(session, changes.user(user.id))  # their feeds show other posts now
        session.commit()
    except IntegrityError:
        session.rollback()  # the same request twice at once: one row, as intended
        return False
    return True


def _unmark(
    session: Session, table: type[TagFollow] | type[TagFilter], user: User, tag: Tag
) -> bool:
    result = session.exec(
        delete(table).where(col(table.user_id) == user.id, col(table.tag_id) == tag.id)
    )
    changes.bump(session, changes.user(user.id))
    session.commit()
    return bool(result.rowcount)


def follow(*, session: Session, user: User, tag: Tag) -> bool:
    """Follow `tag`: its posts join the Following feed. False if already following."""
    return _mark(session, TagFollow, user, tag, MAX_TAGS_FOLLOWED)


def unfollow(*, session: Session, user: User, tag: Tag) -> bool:
    return _unmark(session, TagFollow, user, tag)


def add_filter(*, session: Session, user: User, tag: Tag) -> bool:
    """Leave `tag`'s posts out of the user's feeds and searches. False if already filtered."""
    return _mark(session, TagFilter, user, tag, MAX_TAGS_FILTERED)


def remove_filter(*, session: Session, user: User, tag: Tag) -> bool:
    return _unmark(session, TagFilter, user, tag)


def is_following(*, session: Session, user: User | Viewer | None, tag: Tag) -> bool:
    return user is not None and session.get(TagFollow, (user.id, tag.id)) is not None


def is_filtered(*, session: Session, user: User | Viewer | None, tag: Tag) -> bool:
    return user is not None and session.get(TagFilter, (user.id, tag.id)) is not None


def filtered(*, session: Session, user: User) -> list[str]:
    """The names of the tags `user` filters out, by name."""
    stmt = (
        select(col(Tag.name))
        .join(TagFilter, col(TagFilter.tag_id) == Tag.id)
        .where(TagFilter.user_id == user.id)
        .order_by(col(Tag.name))
    )
    return list(session.exec(stmt).all())


def filter_by_name(*, session: Session, user: User, name: str) -> str:
    """Filter out the tag `name` names (an existing tag); its name, or ValidationFailed."""
    try:
        key = clean_name(name)
    except ValueError as exc:
        raise ValidationFailed({"tag": str(exc)}) from None
    tag_id = id_of(session=session, name=key)
    tag = session.get(Tag, tag_id) if tag_id is not None else None
    if tag is None:
        raise ValidationFailed({"tag": f"There is no tag “{key}”."})
    add_filter(session=session, user=user, tag=tag)
    return tag.name


# --- moderation -------------------------------------------------------------------------------


def _moderator(actor: User) -> None:
    if not (actor.is_active and actor.is_moderator):
        raise Forbidden("Only moderators and administrators change tags.")


def describe(*, session: Session, tag: Tag, actor: User, description: str) -> None:
    """A moderator sets the words shown on the tag's page."""
    _moderator(actor)
    description = " ".join(description.split())
    if len(description) > TAG_DESCRIPTION_MAX:
        raise ValidationFailed(
            {"description": f"Keep the description under {TAG_DESCRIPTION_MAX} characters."}
        )
    if description == tag.description:
        return
    audit.record(
        session=session,
        actor=actor,
        action="tag.describe",
        target=tag,
        before={"description": tag.description},
        after={"description": description},
    )
    tag.description = description
    session.add(tag)
    # Its page (a listing, so the site's scope: app.web.shared keeps it for visitors) and its
    # feed's subtitle.
    changes.bump(session, changes.SITE, changes.tag(tag.id))
    session.commit()


def _keep_old_name(session: Session, old: str, tag_id: int) -> None:
    session.exec(delete(TagAlias).where(col(TagAlias.name) == old))
    session.add(TagAlias(name=old, tag_id=tag_id))


def rename(*, session: Session, tag: Tag, actor: User, name: str) -> str:
    """A moderator renames a tag; the old name answers 301 to the new one. The new name."""
    _moderator(actor)
    try:
        new = clean_name(name)
    except ValueError as exc:
        raise ValidationFailed({"name": str(exc)}) from None
    if new == tag.name:
        return new
    if session.exec(select(Tag.id).where(Tag.name == new)).first() is not None:
        raise ValidationFailed({"name": f"There is a tag “{new}” already: merge into it instead."})
    old = tag.name
    assert tag.id is not None
    # The new name may have been an old name (of this tag or another): it is a tag's name now.
    session.exec(delete(TagAlias).where(col(TagAlias.name) == new))
    audit.record(
        session=session,
        actor=actor,
        action="tag.rename",
        target=tag,
        before={"name": old},
        after={"name": new},
    )
    tag.name = new
    session.add(tag)
    session.flush()
    _keep_old_name(session, old, tag.id)
    _bump_carriers(session, tag.id)
    session.commit()
    return new


def _bump_carriers(session: Session, tag_id: int | None) -> None:
    """Every listing, and each post carrying the tag and its author's feed, show its new name."""
    changes.bump(session, changes.SITE)
    changes.bump_posts(session, select(PostTag.post_id).where(PostTag.tag_id == tag_id))
    owners = select(Post.owner_id).join(PostTag, col(PostTag.post_id) == Post.id)
    changes.bump_users(session, owners.where(PostTag.tag_id == tag_id).distinct())


def _move(session: Session, table: Any, owner: Any, tag: Tag, target: Tag) -> None:
    """Give `target` the rows of `table` that name `tag`; rows `target` already has go."""
    both = select(owner).where(table.tag_id == target.id)
    session.exec(delete(table).where(table.tag_id == tag.id, owner.in_(both)))
    session.exec(update(table).where(table.tag_id == tag.id).values(tag_id=target.id))


def merge(*, session: Session, tag: Tag, actor: User, into: str) -> Tag:
    """A moderator merges `tag` into the tag `into`: its posts, followers and filters move
    there, and its name answers 301 to the other. The tag merged into."""
    _moderator(actor)
    target_id = id_of(session=session, name=into)
    target = session.get(Tag, target_id) if target_id is not None else None
    if target is None:
        raise ValidationFailed({"into": f"There is no tag “{into.strip().lower()[:40]}”."})
    if target.id == tag.id:
        raise ValidationFailed({"into": "A tag cannot be merged into itself."})
    _move(session, PostTag, PostTag.post_id, tag, target)
    _move(session, TagFollow, TagFollow.user_id, tag, target)
    _move(session, TagFilter, TagFilter.user_id, tag, target)
    session.exec(update(TagAlias).where(col(TagAlias.tag_id) == tag.id).values(tag_id=target.id))
    audit.record(
        session=session,
        actor=actor,
        action="tag.merge",
        target=tag,
        before={"name": tag.name},
        after={"merged_into": target.name},
    )
    old = tag.name
    assert target.id is not None
    session.delete(tag)
    session.flush()
    _keep_old_name(session, old, target.id)
    recount(session, target.id)
    _bump_carriers(session, target.id)
    session.commit()
    session.refresh(target)
    return target
