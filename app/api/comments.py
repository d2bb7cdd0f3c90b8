"""Comments as JSON: read a post's threads, search, write, reply, edit, delete, vote."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from app.api import (
    Limit,
    conditional,
    error_responses,
    invalid_query,
    link_pages,
    operation_id,
    read_cursor,
)
from app.deps import (
    ApiOwnComment,
    ApiUser,
    ApiVisiblePost,
    ApiVotableComment,
    CommentId,
    OptionalApiUser,
    SessionDep,
)
from app.models import REASON_MAX
from app.pagination import Position, encode_cursor
from app.schemas import (
    CommentCreate,
    CommentHit,
    CommentHitPage,
    CommentOut,
    CommentPage,
    CommentPatch,
    CommentVoteOut,
)
from app.services import (
    Conflict,
    NotFound,
    ValidationFailed,
    changes,
    comments,
    posts,
    threads,
    votes,
)
from app.services import search as fulltext

router = APIRouter(prefix="/api", tags=["comments"], generate_unique_id_function=operation_id)

MAX_THREADS = 50
LOCATION = {"Location": {"description": "The comment's page URL.", "schema": {"type": "string"}}}


@router.get(
    "/posts/{post_id}/comments",
    summary="Read a post's comments",
    responses=error_responses(401, 404, e404="No such post, or one you may not see."),
)
def api_list_comments(
    request: Request,
    response: Response,
    session: SessionDep,
    post: ApiVisiblePost,
    viewer: OptionalApiUser,
    limit: Annotated[
        int, Query(ge=1, le=MAX_THREADS, description="Top-level comments per page.")
    ] = 20,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` from the previous page.")
    ] = None,
) -> CommentPage:
    """Whole threads, oldest first: each top-level comment with all its replies (`parent_id`,
    `depth`). A deleted comment that has replies is kept, without author or text.

    Read on with `next` (or `cursor=next_cursor`) until it is null.
    """
    after = read_cursor(cursor) if cursor else None
    if after is not None and not isinstance(after, Position):
        raise invalid_query("cursor", "That cursor belongs to another listing.")
    viewer_id = viewer.id if viewer is not None else None
    # The site's counter: a commenter's account closing changes the thread too.
    key = conditional.listing_key(request)
    # The viewer's own scope too: a mute or block folds comments for them alone.
    scopes = [changes.SITE] + ([changes.user(viewer_id)] if viewer_id is not None else [])
    tag = conditional.etag(session, *scopes, key=key, viewer_id=viewer_id)
    conditional.answer(request, response, tag)
    if not posts.is_public(post):
        return CommentPage(items=[], next_cursor=None, next=None)
    assert post.id is not None
    engine = request.app.state.engine
    window = threads.window(engine=engine, post_id=post.id, limit=limit, after=after, viewer=viewer)
    items = [
        CommentOut.of(
            entry.row,
            entry.row.author if entry.row.author_available else None,
            viewer_id,
            folded=entry.folded,
        )
        for entry in window.items
    ]
    next_cursor = encode_cursor(window.next) if window.next else None
    next_url = None
    if next_cursor:
        next_url = f"{request.url.path}?" + urlencode({"limit": limit, "cursor": next_cursor})
    link_pages(response, next=next_url)
    return CommentPage(items=items, next_cursor=next_cursor, next=next_url)


@router.get("/comments", summary="Search comments", responses=error_responses(401))
def api_search_comments(
    request: Request,
    response: Response,
    viewer: OptionalApiUser,
    search: Annotated[
        str,
        Query(
            max_length=200,
            description="Words to find: comments with all of them, best match first. "
            "Punctuation and search operators are ignored.",
            examples=["basil tomatoes"],
        ),
    ],
    limit: Limit = 20,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` from the previous page.")
    ] = None,
) -> CommentHitPage:
    """Standing comments on public posts with every word of `search`, best match first (among
    the newest 500 matches), as the search page's Comments section finds them.

    Read on with `next` (or `cursor=next_cursor`) until it is null.
    """
    after = read_cursor(cursor) if cursor else 0
    if not isinstance(after, int):
        raise invalid_query("cursor", "That cursor belongs to another listing.")
    window = fulltext.comments(
        engine=request.app.state.engine,
        words=fulltext.terms(search),
        limit=limit,
        offset=after,
        viewer=viewer,
    )
    next_cursor = encode_cursor(window.next) if window.next else None
    next_url = None
    if next_cursor:
        query = {"search": search, "limit": limit, "cursor": next_cursor}
        next_url = f"{request.url.path}?" + urlencode(query)
    link_pages(response, next=next_url)
    return CommentHitPage(
        items=[CommentHit.from_row(row) for row in window.items],
        next_cursor=next_cursor,
        next=next_url,
    )


@router.post(
    "/posts/{post_id}/comments",
    status_code=201,
    summary="Comment on a post, or reply to a comment",
    responses={
        201: {"description": "The new comment.", "headers": LOCATION},
        **error_responses(
            400,
            401,
            404,
            409,
            413,
            429,
            e409="The post takes no comments (a draft or hidden), or you just sent this one.",
            e429="A new account (younger than NEW_ACCOUNT_HOURS) wrote its share of comments "
            "for the hour; the message and Retry-After say when it can comment again.",
        ),
    },
)
def api_create_comment(
    response: Response,
    session: SessionDep,
    user: ApiUser,
    post: ApiVisiblePost,
    data: CommentCreate,
) -> CommentOut:
    """Write a comment; with `parent_id`, a reply to that comment (of the same post)."""
    comment = comments.create(
        session=session, author=user, post=post, content=data.content, parent_id=data.parent_id
    )
    response.headers["Location"] = f"/comments/{comment.id}"
    response.headers["ETag"] = conditional.comment_etag(session, comment, user.id)
    return CommentOut.of(comment, user.username, user.id)


_OWN_ERRORS = error_responses(
    400, 401, 403, 404, 412, 413, e403="Only the author can change a comment."
)


@router.patch("/comments/{comment_id}", summary="Edit a comment", responses=_OWN_ERRORS)
def api_edit_comment(
    request: Request,
    response: Response,
    session: SessionDep,
    user: ApiUser,
    comment: ApiOwnComment,
    data: CommentPatch,
) -> CommentOut:
    """Change the text of your comment; it then shows as edited. With `If-Match` (the ETag
    of the answer that gave you the comment), only if it is still that version."""
    current = comment
    conditional.guard(request, session, lambda: conditional.comment_etag(session, current, user.id))
    comment = comments.edit(session=session, comment=comment, content=data.content)
    response.headers["ETag"] = conditional.comment_etag(session, comment, user.id)
    return CommentOut.of(comment, user.username, user.id)


@router.delete(
    "/comments/{comment_id}",
    summary="Delete a comment",
    status_code=204,
    response_class=Response,
    responses=error_responses(
        401,
        403,
        404,
        e403="Only the author, or a moderator giving a `reason`, can delete it.",
    ),
)
def api_delete_comment(
    session: SessionDep,
    user: ApiUser,
    comment_id: CommentId,
    reason: Annotated[
        str | None,
        Query(
            max_length=REASON_MAX,
            description="Moderators removing someone else's comment say why; its author reads it.",
        ),
    ] = None,
) -> Response:
    """Delete your comment (one with replies stays as "[deleted]"), or, as a moderator, remove
    someone else's with a `reason`."""
    comment, _ = comments.get_visible(session=session, comment_id=comment_id, viewer=user)
    if comment.author_id == user.id and not comment.deleted:
        comments.delete_own(session=session, comment=comment)
        return Response(status_code=204)
    if not posts.may_moderate(user):
        comments.get_owned(session=session, comment_id=comment_id, user=user)  # 404 or 403
    comment = comments.get_removable(session=session, comment_id=comment_id, user=user)
    if reason is None:
        raise ValidationFailed({"reason": "Say why, in a few words: the author will read it."})
    comments.remove(session=session, comment=comment, actor=user, reason=reason)
    return Response(status_code=204)


@router.post(
    "/comments/{comment_id}/vote",
    status_code=201,
    summary="Vote for a comment",
    responses={
        201: {"description": "Your vote is counted."},
        **error_responses(
            401,
            403,
            404,
            409,
            e403="You cannot vote for your own comment.",
            e409="You have already voted for this comment.",
        ),
    },
)
def api_vote_comment(
    session: SessionDep, user: ApiUser, comment: ApiVotableComment
) -> CommentVoteOut:
    """One vote per person per comment."""
    assert comment.id is not None
    if not votes.add_for_comment(session=session, comment=comment, user=user):
        raise Conflict("You have already voted for this comment.")
    count = votes.comment_count(session=session, comment_id=comment.id)
    return CommentVoteOut(comment_id=comment.id, voted=True, vote_count=count)


@router.delete(
    "/comments/{comment_id}/vote",
    status_code=204,
    response_class=Response,
    summary="Withdraw your vote for a comment",
    responses=error_responses(
        401,
        403,
        404,
        e403="You cannot vote for your own comment.",
        e404="No such comment, or you have not voted for it.",
    ),
)
def api_unvote_comment(session: SessionDep, user: ApiUser, comment: ApiVotableComment) -> Response:
    """Take back your vote."""
    if not votes.remove_for_comment(session=session, comment=comment, user=user):
        raise NotFound("You have not voted for this comment.")
    return Response(status_code=204)
