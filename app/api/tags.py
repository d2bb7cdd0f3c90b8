"""Tags, bookmarks and dismissing as JSON: the same services as the pages."""

from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from app.api import Limit, error_responses, invalid_query, link_pages, operation_id, read_cursor
from app.db import engine_of
from app.deps import ApiUser, ApiVisiblePost, OptionalApiUser, PageNo, SessionDep
from app.models import Tag
from app.pagination import Position, Window, encode_cursor
from app.schemas import (
    BookmarkOut,
    DismissOut,
    PostOut,
    PostPage,
    TagFollowOut,
    TagOut,
    TagPage,
)
from app.services import bookmarks, dismissals, feeds, tags

router = APIRouter(prefix="/api", generate_unique_id_function=operation_id)
TAGS: list[str | Enum] = ["tags"]

TagName = Annotated[str, Path(max_length=64, description="The tag's name (any case).")]
Cursor = Annotated[
    str | None, Query(max_length=64, description="`next_cursor` from the previous page.")
]
MOVED: dict[int | str, dict[str, Any]] = {
    301: {
        "description": "The tag was renamed or merged: `Location` names it now.",
        "headers": {"Location": {"description": "The same URL.", "schema": {"type": "string"}}},
    }
}


def _position(cursor: str | None) -> Position | None:
    after = read_cursor(cursor) if cursor else None
    if isinstance(after, int):
        raise invalid_query("cursor", "That cursor belongs to another listing.")
    return after


def _page(request: Request, response: Response, window: Window, limit: int) -> PostPage:
    next_cursor = encode_cursor(window.next) if window.next is not None else None
    next_url = None
    if next_cursor:
        next_url = f"{request.url.path}?" + urlencode({"limit": limit, "cursor": next_cursor})
    link_pages(response, next=next_url)
    return PostPage(
        items=[PostOut.from_row(row) for row in window.items],
        next_cursor=next_cursor,
        next=next_url,
    )


@router.get("/tags", tags=TAGS, summary="List tags")
def api_list_tags(
    request: Request, response: Response, session: SessionDep, page: PageNo = 1
) -> TagPage:
    """Tags on public posts, most used first, with how many public posts carry each."""
    listing = tags.listing(session=session, page=page)
    next_url = f"{request.url.path}?page={page + 1}" if listing.has_next else None
    link_pages(response, next=next_url)
    return TagPage(
        items=[
            TagOut(name=item.name, description=item.description, post_count=item.posts)
            for item in listing.items
        ],
        next=next_url,
    )


@router.get(
    "/tags/{tag}/posts",
    tags=TAGS,
    summary="A tag's posts",
    response_model=PostPage,
    responses={**MOVED, **error_responses(401, 404, e404="No public post carries this tag.")},
)
def api_tag_posts(
    request: Request,
    response: Response,
    session: SessionDep,
    viewer: OptionalApiUser,
    tag: TagName,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> PostPage | Response:
    """Published posts with the tag, newest first. Read on with `next` until it is null."""
    try:
        found = tags.get_visible(session=session, name=tag)
    except tags.TagMoved as moved:
        url = tags.moved_path(request.url.path, tag, moved.name)
        if request.url.query:
            url += "?" + request.url.query
        return RedirectResponse(url, status_code=301)
    assert found.id is not None
    engine = engine_of(session)
    window = feeds.tagged(
        engine=engine, tag_id=found.id, viewer=viewer, limit=limit, after=_position(cursor)
    )
    return _page(request, response, window, limit)


def _tag(session: SessionDep, name: str) -> Tag:
    """The tag a follow names; an old name follows the tag it became."""
    try:
        return tags.get_visible(session=session, name=name)
    except tags.TagMoved as moved:
        return tags.get_visible(session=session, name=moved.name)


@router.post(
    "/tags/{tag}/follow",
    tags=TAGS,
    summary="Follow a tag",
    responses=error_responses(401, 404, 409, e409="You follow the most tags allowed."),
)
def api_follow_tag(session: SessionDep, user: ApiUser, tag: TagName) -> TagFollowOut:
    """Its posts join your feed (`GET /api/feed`). Asking again changes nothing."""
    found = _tag(session, tag)
    tags.follow(session=session, user=user, tag=found)
    return TagFollowOut(name=found.name, following=True)


@router.delete(
    "/tags/{tag}/follow",
    tags=TAGS,
    summary="Stop following a tag",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 404),
)
def api_unfollow_tag(session: SessionDep, user: ApiUser, tag: TagName) -> Response:
    """Fine if you did not follow it."""
    tags.unfollow(session=session, user=user, tag=_tag(session, tag))
    return Response(status_code=204)


_POST_ERRORS = error_responses(401, 404, e404="No such post, or a draft that is not yours.")


@router.post(
    "/posts/{post_id}/bookmark",
    tags=["bookmarks"],
    summary="Bookmark a post",
    responses=_POST_ERRORS,
)
def api_bookmark(session: SessionDep, user: ApiUser, post: ApiVisiblePost) -> BookmarkOut:
    """Save a post to your bookmarks; only you ever see them. Asking again changes nothing."""
    bookmarks.set_bookmark(session=session, user=user, post=post, on=True)
    assert post.id is not None
    return BookmarkOut(post_id=post.id, bookmarked=True)


@router.delete(
    "/posts/{post_id}/bookmark",
    tags=["bookmarks"],
    summary="Remove a bookmark",
    status_code=204,
    response_class=Response,
    responses=_POST_ERRORS,
)
def api_unbookmark(session: SessionDep, user: ApiUser, post: ApiVisiblePost) -> Response:
    """Fine if it was not bookmarked."""
    bookmarks.set_bookmark(session=session, user=user, post=post, on=False)
    return Response(status_code=204)


@router.get(
    "/bookmarks", tags=["bookmarks"], summary="Your bookmarks", responses=error_responses(401)
)
def api_bookmarks(
    request: Request,
    response: Response,
    session: SessionDep,
    user: ApiUser,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> PostPage:
    """The posts you bookmarked that you may still see, the latest bookmark first."""
    window = bookmarks.listing(
        engine=engine_of(session), user=user, limit=limit, after=_position(cursor)
    )
    return _page(request, response, window, limit)


@router.post(
    "/posts/{post_id}/dismiss",
    tags=["bookmarks"],
    summary="Dismiss a post from your feeds",
    responses=_POST_ERRORS,
)
def api_dismiss(session: SessionDep, user: ApiUser, post: ApiVisiblePost) -> DismissOut:
    """It leaves your feeds, tag pages and searches. Asking again changes nothing."""
    dismissals.set_dismissed(session=session, user=user, post=post, on=True)
    assert post.id is not None
    return DismissOut(post_id=post.id, dismissed=True)


@router.delete(
    "/posts/{post_id}/dismiss",
    tags=["bookmarks"],
    summary="Bring a dismissed post back",
    status_code=204,
    response_class=Response,
    responses=_POST_ERRORS,
)
def api_undismiss(session: SessionDep, user: ApiUser, post: ApiVisiblePost) -> Response:
    """Fine if it was not dismissed."""
    dismissals.set_dismissed(session=session, user=user, post=post, on=False)
    return Response(status_code=204)
