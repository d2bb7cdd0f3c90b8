"""What a member asked never to see in their feeds and searches: posts carrying a tag they
filter out, and posts they dismissed.

Applied inside each listing's query, where the other viewer rules (available authors) are, so a
page is cut after filtering and is never short. The viewer's id is bound as `viewer`.
"""

from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, exists, select
from sqlmodel import col

from app.models import Dismissal, PostTag, TagFilter

VIEWER = "viewer"  # the bound parameter every condition here reads


def keeps(post_id: Any) -> Any:
    """SQL: the post `post_id` names is neither dismissed nor filtered out by the viewer.

    Two lookups by primary key per post: dismissal (user_id, post_id), then the post's few
    tags against tag_filter (user_id, tag_id).
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
    return and_(~dismissed, ~filtered)


# `keeps` for the raw SQL of the SQLite Following feed; `{t}` is the post table's alias.
KEEPS_SQL = (
    "AND NOT EXISTS (SELECT 1 FROM dismissal AS dm WHERE dm.user_id = :viewer"
    " AND dm.post_id = {t}.id)"
    " AND NOT EXISTS (SELECT 1 FROM post_tag AS fp JOIN tag_filter AS ff ON ff.tag_id = fp.tag_id"
    " WHERE fp.post_id = {t}.id AND ff.user_id = :viewer)"
)


def params(viewer: Any) -> dict[str, Any]:
    """The bound value `keeps` reads, for a viewer (User, Viewer) or None."""
    return {VIEWER: viewer.id if viewer is not None else None}
