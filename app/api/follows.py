"""Follows and the personal feed: follow people, then read what they post."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from app.api import (
    Limit,
    conditional,
    error_responses,
    invalid_query,
    link_pages,
    operation_id,
    read_cursor,
)
from app.deps import ApiUser, SessionDep, Username
from app.models import User
from app.pagination import encode_cursor
from app.schemas import FollowOut, PostOut, PostPage
from app.services import changes, feeds, follows, users

router = APIRouter(prefix="/api", tags=["follows"], generate_unique_id_function=operation_id)


@router.post(
    "/users/{username}/follow",
    summary="Follow someone",
    responses=error_responses(
        400, 401, 404, e400="You cannot follow yourself, or you follow the most people allowed."
    ),
)
def api_follow(session: SessionDep, user: ApiUser, username: Username) -> FollowOut:
    """Follow a user. Asking again changes nothing and answers the same."""
    followed = users.get_available(session, username)
    follows.follow(session=session, follower=user, followed=followed)
    return _state(session, followed, user)


@router.delete(
    "/users/{username}/follow",
    summary="Stop following someone",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 404),
)
def api_unfollow(session: SessionDep, user: ApiUser, username: Username) -> Response:
    """Stop following a user; fine if you did not follow them."""
    followed = users.get_available(session, username)
    follows.unfollow(session=session, follower=user, followed=followed)
    return Response(status_code=204)


def _state(session: Session, followed: User, user: User) -> FollowOut:
    stats = follows.stats(session=session, user=followed, viewer=user)
    return FollowOut(
        username=followed.username,
        following=stats.followed_by_viewer,
        followers=stats.followers,
    )


@router.get("/feed", summary="Posts by people you follow", responses=error_responses(401))
def api_feed(
    request: Request,
    response: Response,
    session: SessionDep,
    user: ApiUser,
    limit: Limit = 20,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` from the previous page.")
    ] = None,
) -> PostPage:
    """Published posts by the people you follow, newest first.

    Read on with `next` (or `cursor=next_cursor`) until it is null; every page costs the same.
    """
    after = read_cursor(cursor) if cursor else None
    if isinstance(after, int):
        raise invalid_query("cursor", "That cursor belongs to another listing.")
    # Whom you follow is on your account's counter.
    scopes = (changes.SITE, changes.user(user.id))
    tag = conditional.etag(
        session, *scopes, key=conditional.listing_key(request), viewer_id=user.id
    )
    conditional.answer(request, response, tag)
    engine = request.app.state.engine
    window = feeds.following(engine=engine, user=user, limit=limit, after=after)
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
