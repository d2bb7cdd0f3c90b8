"""Public profiles, and following, muting and blocking people from them."""

import re
from collections.abc import Awaitable
from functools import partial

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app import pagination
from app.db import engine_of
from app.deps import CurrentUser, FormStr, OptionalUser, PageNo, SessionDep, Username
from app.models import Viewer
from app.services import blocks, changes, feeds, follows, threads, users
from app.templating import flash, render
from app.web import PageRouter, shared

router = PageRouter()


# A visitor's profile is every visitor's: a shared page (app.web.shared), its posts and
# comments moving the site's counter, its follower counts the account's own (a follow moves
# only the two accounts'), read by name before the route runs. The render reads through the
# ORM session: in the thread pool.
@router.get("/users/{username}")
async def profile(
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    username: Username,
    page: PageNo = 1,
) -> Response:
    def render_page() -> Awaitable[Response]:
        return run_in_threadpool(_profile, request, session, viewer, username, page)

    if shared.shareable(request, viewer):
        return await shared.answer(
            request, render_page, window=partial(changes.user_by_name, username=username)
        )
    return await render_page()


def _profile(
    request: Request, session: Session, viewer: Viewer | None, username: str, page: int
) -> Response:
    author = users.get_available(session, username)
    listing = feeds.by_author(engine=engine_of(session), author=author, viewer=None, page=page)
    if viewer is not None and blocks.has_blocked(session, author.id, viewer.id):
        listing = pagination.Page(items=[], number=listing.number, has_next=False)  # all 404
    stats = follows.stats(session=session, user=author, viewer=viewer)
    silence = (
        blocks.kind_between(session=session, user=viewer, other=author)
        if viewer is not None and viewer.id != author.id
        else None
    )
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
            "silence": silence,
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


_DONE = {
    ("mute", True): "You muted {name}: their posts and notifications are out of your way.",
    ("mute", False): "You no longer mute {name}.",
    ("block", True): "You blocked {name}. They are not told.",
    ("block", False): "You no longer block {name}.",
}


def _silence(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    username: str,
    kind: str,
    on: bool,
    next: str,
) -> Response:
    other = users.get_available(session, username)
    if on:
        blocks.set_kind(session=session, user=user, other=other, kind=kind)
    else:
        blocks.unset(session=session, user=user, other=other, kind=kind)
    # Back to the account page's list the button was pressed on, else the profile.
    back = next if next == "/account/blocks" else f"/users/{other.username}"
    response = RedirectResponse(back, status_code=303)
    flash(response, request, _DONE[kind, on].format(name=other.username))
    return response


@router.post("/users/{username}/mute")
def mute(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    username: Username,
    next: FormStr = "",
) -> Response:
    return _silence(request, session, user, username, blocks.MUTE, True, next)


@router.post("/users/{username}/unmute")
def unmute(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    username: Username,
    next: FormStr = "",
) -> Response:
    return _silence(request, session, user, username, blocks.MUTE, False, next)


@router.post("/users/{username}/block")
def block(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    username: Username,
    next: FormStr = "",
) -> Response:
    return _silence(request, session, user, username, blocks.BLOCK, True, next)


@router.post("/users/{username}/unblock")
def unblock(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    username: Username,
    next: FormStr = "",
) -> Response:
    return _silence(request, session, user, username, blocks.BLOCK, False, next)


@router.get("/account/blocks")
def blocks_page(
    request: Request, session: SessionDep, user: CurrentUser, page: PageNo = 1
) -> Response:
    listing = blocks.listing(session=session, user=user, page=page)
    return render(
        request,
        "account/blocks.html",
        {"page": listing, "pager": pagination.numbered(listing, "/account/blocks")},
    )
