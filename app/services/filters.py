"""What a member asked never to see in their feeds and searches: posts carrying a tag they
filter out, posts they dismissed, and posts by people they muted or blocked or who blocked them.

Applied inside each listing's query, where the other viewer rules (available authors) are, so a
page is cut after filtering and is never short. The viewer's id is bound as `viewer`.
"""

from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, exists, or_, select
from sqlmodel import col

from app.models import Block, Dismissal, PostTag, TagFilter, User, Viewer

VIEWER = "viewer"  # the bound parameter every condition here reads


def shuts_out(author_id: Any) -> Any:
    """SQL: `author_id` blocked the viewer (their posts answer 404 to them): a key lookup."""
    return exists(
        select(col(Block.user_id)).where(
            col(Block.user_id) == author_id,
            col(Block.other_id) == bindparam(VIEWER),
            col(Block.kind) == "block",
        )
    )


def allows(author_id: Any) -> Any:
    """SQL: the viewer neither muted nor blocked `author_id`, and was not blocked by them.

    Two lookups by block's primary key (user_id, other_id), one each way.
    """
    silenced = exists(
        select(col(Block.user_id)).where(
            col(Block.user_id) == bindparam(VIEWER), col(Block.other_id) == author_id
        )
    )
    return and_(~silenced, ~shuts_out(author_id))


def keeps(post_id: Any, owner_id: Any) -> Any:
    """SQL: the post `post_id` (by `owner_id`) is neither dismissed nor filtered out by the
    viewer, and its author is one the viewer still sees (`allows`).

    Lookups by primary key per post: dismissal (user_id, post_id), the post's few tags against
    tag_filter (user_id, tag_id), then block (user_id, other_id) both ways.
    """
    viewer: BindParameter[Any] = bindparam(VIEWER)
    dismissed = exists(
        select(col(Dismissal.post_id)).where(
            col(Dismissal.user_id) == viewer, col(Dismissal.post_id) == post_id
        )
    )
    filtered = exists(
        select(col(PostTag.post_id))
        .join(TagFilter, col(TagFilter.tag_id) == PostTag.tag_id)
        .where(col(PostTag.post_id) == post_id, col(TagFilter.user_id) == viewer)
    )
    return and_(~dismissed, ~filtered, allows(owner_id))


# `keeps` for the raw SQL of the SQLite Following feed; `{t}` is the post table's alias.
KEEPS_SQL = (
    "AND NOT EXISTS (SELECT 1 FROM dismissal AS dm WHERE dm.user_id = :viewer"
    " AND dm.post_id = {t}.id)"
    " AND NOT EXISTS (SELECT 1 FROM post_tag AS fp JOIN tag_filter AS ff ON ff.tag_id = fp.tag_id"
    " WHERE fp.post_id = {t}.id AND ff.user_id = :viewer)"
    " AND NOT EXISTS (SELECT 1 FROM block AS bm WHERE bm.user_id = :viewer"
    " AND bm.other_id = {t}.owner_id)"
    " AND NOT EXISTS (SELECT 1 FROM block AS bb WHERE bb.user_id = {t}.owner_id"
    " AND bb.other_id = :viewer AND bb.kind = 'block')"
)


def screens(user_id: Any) -> Any:
    """SQL: whether `keeps` can drop anything for the user `user_id`: they dismissed a post,
    filter a tag, muted or blocked someone, or someone blocked them. Four index probes, read
    with the session (app.services.sessions) so that `needed` costs nothing."""
    return or_(
        exists(select(col(Dismissal.post_id)).where(col(Dismissal.user_id) == user_id)),
        exists(select(col(TagFilter.tag_id)).where(col(TagFilter.user_id) == user_id)),
        exists(select(col(Block.other_id)).where(col(Block.user_id) == user_id)),
        exists(
            select(col(Block.user_id)).where(
                col(Block.other_id) == user_id, col(Block.kind) == "block"
            )
        ),
    )


def needed(viewer: User | Viewer | None) -> bool:
    """Whether a listing must apply `keeps` for `viewer`.

    Not for anonymous visitors, nor for a member whose session read found nothing to keep
    from them (`Viewer.screens`): `keeps` is then true of every row, and skipping it took a
    member's Top at 1M posts from the filtered statement's cost to the anonymous one's
    (docs/performance.md, "Members with nothing filtered"). An ORM User is always filtered.
    """
    if viewer is None:
        return False
    return not isinstance(viewer, Viewer) or viewer.screens


def params(viewer: Any) -> dict[str, Any]:
    """The bound value `keeps` reads, for a viewer (User, Viewer) or None."""
    return {VIEWER: viewer.id if viewer is not None else None}
