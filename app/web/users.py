"""Public profiles, and following people from them."""

import re

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app import pagination
from app.db import engine_of
from app.deps import CurrentUser, FormStr, OptionalUser, PageNo, SessionDep, Username
from app.services import feeds, follows, threads, users
from app.templating import flash, render
from app.web import PageRouter

router = PageRouter()


@router.get("/users/{username}")
def profile(
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    username: Username,
    page: PageNo = 1,
) -> Response:
    author = users.get_available(session, username)
    listing = feeds.by_author(engine=engine_of(session), author=author, viewer=None, page=page)
    stats = follows.stats(session=session, user=author, viewer=viewer)
    pager = pagination.numbered(listing, f"/users/{author.username}")
    recent = threads.recent_by(engine=engine_of(session), author=author)
    return render(
        request,
        "users/profile.html",
        {
            "author": author,
            "page": listing,
            "pager": pager,
            "stats": stats,
            "recent_comments": recent,
        },
    )


@router.get("/users/{username}/followers")
def followers(
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    username: Username,
    page: PageNo = 1,
) -> Response:
    return _people(request, session, viewer, username, "followers", page)


@router.get("/users/{username}/following")
def following(
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    username: Username,
    page: PageNo = 1,
) -> Response:
    return _people(request, session, viewer, username, "following", page)


def _people(
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    username: str,
    direction: str,
    page: int,
) -> Response:
    user = users.get_available(session, username)
    listing = follows.people(
        session=session, user=user, direction=direction, page=page, viewer=viewer
    )
    pager = pagination.numbered(listing, f"/users/{user.username}/{direction}")
    return render(
        request,
        "users/follows.html",
        {
            "author": user,
            "direction": direction,
            "page": listing,
            "pager": pager,
        },
    )


def _back_to(next: str, followed: str) -> str:
    """The people list the button was pressed on, else the profile."""
    default = f"/users/{followed}"
    return next if re.fullmatch(r"/users/\w+/(followers|following)(\?page=\d+)?", next) else default


@router.post("/users/{username}/follow")
def follow(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    username: Username,
    next: FormStr = "",
) -> Response:
    followed = users.get_available(session, username)
    follows.follow(session=session, follower=user, followed=followed)
    response = RedirectResponse(_back_to(next, followed.username), status_code=303)
    flash(response, request, f"You follow {followed.username} now.")
    return response


@router.post("/users/{username}/unfollow")
def unfollow(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    username: Username,
    next: FormStr = "",
) -> Response:
    followed = users.get_available(session, username)
    follows.unfollow(session=session, follower=user, followed=followed)
    response = RedirectResponse(_back_to(next, followed.username), status_code=303)
    flash(response, request, f"You no longer follow {followed.username}.")
    return response
