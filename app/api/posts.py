"""Posts as JSON: list, search, read, write, edit, delete."""

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
from app.deps import ApiOwnPost, ApiRemovablePost, ApiUser, ApiVisiblePost, SessionDep
from app.models import USERNAME_MAX, User
from app.pagination import Position, encode_cursor
from app.schemas import PostCreate, PostOut, PostPage, PostPatch, PostReplace
from app.services import changes, feeds, posts

router = APIRouter(prefix="/api/posts", tags=["posts"], generate_unique_id_function=operation_id)

# Offsets are for jumping a few pages; deeper reading follows `next`, which costs the same at
# any depth. The cap keeps an OFFSET scan short.
MAX_OFFSET = 10_000
LOCATION = {"Location": {"description": "The post's URL.", "schema": {"type": "string"}}}


@router.get("", summary="List and search published posts")
def api_list_posts(
    request: Request,
    response: Response,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Annotated[
        str | None,
        Query(max_length=64, description="`next_cursor` from the previous page."),
    ] = None,
    offset: Annotated[
        int,
        Query(ge=0, le=MAX_OFFSET, description="Posts to skip; prefer `cursor` to read on."),
    ] = 0,
    author: Annotated[
        str | None, Query(max_length=USERNAME_MAX, description="Only this user's posts.")
    ] = None,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words to find in the title or content: posts with all of them, best "
            "match first. Punctuation and search operators are ignored.",
            examples=["garden morning"],
        ),
    ] = None,
) -> PostPage:
    """Published posts, newest first, each with its author and vote count; with `search`, best
    match first (among the newest 500 matches).

    Read on with `next` (or `cursor=next_cursor`) until it is null.
    """
    text = (search or "").strip()
    after = read_cursor(cursor) if cursor else None
    if after is not None and offset:
        raise invalid_query("offset", "Use either cursor or offset, not both.")
    # Searches are ranked and continue by offset; plain listings continue from a position.
    if isinstance(after, int) != bool(text) and after is not None:
        raise invalid_query("cursor", "That cursor belongs to another listing.")
    # Any write can change a listing (a deactivated author's posts leave every one).
    tag = conditional.etag(session, changes.SITE, key=conditional.listing_key(request))
    conditional.answer(request, response, tag)
    skipped = after if isinstance(after, int) else offset
    window = feeds.search(
        engine=request.app.state.engine,
        text=text,
        author=(author or "").strip(),
        limit=limit,
        after=after if isinstance(after, Position) else None,
        offset=skipped,
    )
    next_cursor = encode_cursor(window.next) if window.next else None

    def page_url(**where: str | int) -> str:
        query = {"limit": limit, "author": author, "search": search, **where}
        return f"{request.url.path}?" + urlencode({k: v for k, v in query.items() if v})

    next_url = page_url(cursor=next_cursor) if next_cursor else None
    # Only a page reached by offset knows where the one before it starts.
    prev_url = page_url(offset=max(0, skipped - limit)) if skipped else None
    link_pages(response, next=next_url, prev=prev_url)
    return PostPage(
        items=[PostOut.from_row(row) for row in window.items],
        next_cursor=next_cursor,
        next=next_url,
    )


@router.post(
    "",
    status_code=201,
    summary="Write a post",
    responses={
        201: {"description": "The new post.", "headers": LOCATION},
        **error_responses(400, 401, 413),
    },
)
def api_create_post(
    request: Request, response: Response, session: SessionDep, user: ApiUser, data: PostCreate
) -> PostOut:
    """Publish a post, or save a private draft with `"published": false`."""
    post = posts.create(
        session=session,
        owner=user,
        title=data.title,
        content=data.content,
        published=data.published,
    )
    response.headers["Location"] = request.app.url_path_for("api_get_post", post_id=str(post.id))
    response.headers["ETag"] = conditional.post_etag(session, post)
    return PostOut.of(post, user)


@router.get(
    "/{post_id}",
    summary="Read a post",
    responses=error_responses(401, 404, e404="No such post, or a draft that is not yours."),
)
def api_get_post(
    request: Request, response: Response, session: SessionDep, post: ApiVisiblePost
) -> PostOut:
    """A published post, or your own draft. Send its `ETag` back in `If-None-Match` to get
    304 while it is unchanged, or in `If-Match` when you edit it."""
    conditional.answer(request, response, conditional.post_etag(session, post))
    # No query: the access check read the author into the session with the post.
    author = session.get(User, post.owner_id)
    assert author is not None
    return PostOut.of(post, author)


_EDIT_ERRORS = error_responses(
    400, 401, 403, 404, 412, 413, e403="Only the author can change a post."
)


@router.put("/{post_id}", summary="Replace a post", responses=_EDIT_ERRORS)
def api_replace_post(
    request: Request,
    response: Response,
    session: SessionDep,
    user: ApiUser,
    post: ApiOwnPost,
    data: PostReplace,
) -> PostOut:
    """Replace the title, content and published state of your post; with `If-Match`, only
    if it is still the version you read."""
    conditional.guard(request, session, lambda: conditional.post_etag(session, post))
    post = posts.edit(
        session=session,
        post=post,
        title=data.title,
        content=data.content,
        published=data.published,
    )
    response.headers["ETag"] = conditional.post_etag(session, post)
    return PostOut.of(post, user)


@router.patch("/{post_id}", summary="Change part of a post", responses=_EDIT_ERRORS)
def api_update_post(
    request: Request,
    response: Response,
    session: SessionDep,
    user: ApiUser,
    post: ApiOwnPost,
    data: PostPatch,
) -> PostOut:
    """Change only the fields you send; with `If-Match`, only if it is still the version
    you read."""
    conditional.guard(request, session, lambda: conditional.post_etag(session, post))
    if (data.title, data.content, data.published) != (None, None, None):
        post = posts.edit(
            session=session,
            post=post,
            title=post.title if data.title is None else data.title,
            content=post.content if data.content is None else data.content,
            published=post.published if data.published is None else data.published,
        )
    response.headers["ETag"] = conditional.post_etag(session, post)
    return PostOut.of(post, user)


@router.delete(
    "/{post_id}",
    summary="Delete a post",
    status_code=204,
    response_class=Response,
    responses=error_responses(
        401, 403, 404, e403="Only the author, a moderator or an administrator can delete it."
    ),
)
def api_delete_post(session: SessionDep, user: ApiUser, post: ApiRemovablePost) -> Response:
    """Delete your post (moderators and administrators may delete any published post)."""
    posts.remove(session=session, post=post, actor=user)
    return Response(status_code=204)
