"""Looking after your own account: name and email, your posts, a copy of your data, deletion."""

from typing import Annotated, Literal

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app import pagination
from app.auth import SESSION_COOKIE
from app.db import engine_of
from app.deps import ClientIP, CurrentUser, FormStr, PageNo, SessionDep, SettingsDep
from app.security import clear_cookie
from app.services import (
    Forbidden,
    Throttled,
    ValidationFailed,
    feeds,
    notifications,
    profile,
    syndication,
    users,
)
from app.templating import flash, render
from app.web import PageRouter
from app.web.downloads import json_download

router = PageRouter(prefix="/account")

POST_STATES = {"all": None, "published": False, "draft": True}  # -> by_author's `drafts`


@router.get("/profile")
def profile_form(request: Request, user: CurrentUser) -> Response:
    form = {"username": user.username, "email": user.email, "bio": user.bio}
    return render(request, "account/profile.html", {"form": form, "errors": {}})


@router.post("/bio")
def change_bio(
    request: Request, session: SessionDep, user: CurrentUser, bio: FormStr = ""
) -> Response:
    try:
        changed = profile.change_bio(session=session, user=user, bio=bio)
    except ValidationFailed as exc:
        form = {"username": user.username, "email": user.email, "bio": bio}
        return render(
            request,
            "account/profile.html",
            {"form": form, "errors": exc.errors},
            status_code=exc.status_code,
        )
    response = RedirectResponse("/account/profile", status_code=303)
    flash(
        response, request, "Saved: your bio." if changed else "Nothing to save: that is your bio."
    )
    return response


@router.post("/profile")
def change_profile(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    ip: ClientIP,
    username: FormStr = "",
    email: FormStr = "",
    current_password: FormStr = "",
) -> Response:
    try:
        changed = profile.change_identity(
            session=session,
            settings=settings,
            user=user,
            username=username,
            email=email,
            password=current_password,
            ip=ip,
        )
    except (ValidationFailed, Throttled) as exc:
        errors = (
            exc.errors if isinstance(exc, ValidationFailed) else {"current_password": exc.message}
        )
        return render(
            request,
            "account/profile.html",
            {"form": {"username": username, "email": email, "bio": user.bio}, "errors": errors},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    response = RedirectResponse("/account/profile", status_code=303)
    if changed:
        words = []
        if "username" in changed:
            words.append(f"Saved: your username is now {user.username}.")
        if "email" in changed:
            words.append(
                f"We sent a link to {email.strip().lower()}: your address changes when you open it."
            )
        flash(response, request, " ".join(words))
    else:
        flash(response, request, "Nothing to save: that is already your username and email.")
    return response


@router.get("/posts")
def my_posts(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    status: Literal["all", "published", "draft"] = "all",
    page: PageNo = 1,
) -> Response:
    listing = feeds.by_author(
        engine=engine_of(session), author=user, viewer=user, page=page, drafts=POST_STATES[status]
    )
    pager = pagination.numbered(listing, "/account/posts", {"status": status})
    return render(
        request, "account/posts.html", {"page": listing, "pager": pager, "status": status}
    )


def _notification_settings(
    request: Request, session: SessionDep, user: CurrentUser, feed_url: str | None = None
) -> Response:
    assert user.id is not None
    chosen = notifications.settings(session=session, user_id=user.id)
    return render(
        request,
        "account/notifications.html",
        {
            "chosen": chosen,
            "labels": notifications.LABELS,
            "has_feed": user.feed_token_hash is not None,
            "feed_url": feed_url,
        },
    )


@router.get("/notifications")
def notification_settings(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _notification_settings(request, session, user)


@router.post("/notifications/feed")
def make_notification_feed(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    token = syndication.issue_token(session=session, user=user)
    # Shown in this answer and never again (only its hash is kept), so no redirect: a flash
    # cookie would carry the secret, and the page after a redirect no longer knows it.
    url = f"{settings.base_url}/feeds/notifications/{token}.atom"
    return _notification_settings(request, session, user, feed_url=url)


@router.post("/notifications/feed/revoke")
def revoke_notification_feed(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    syndication.revoke_token(session=session, user=user)
    response = RedirectResponse("/account/notifications", status_code=303)
    flash(response, request, "Your notifications feed is turned off: its address works no more.")
    return response


@router.post("/notifications")
def save_notification_settings(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    kinds: Annotated[list[str], Form(max_length=len(notifications.MUTABLE))] = [],  # noqa: B006
) -> Response:
    assert user.id is not None
    # The boxes ticked are the kinds wanted; an unknown value turns nothing on or off.
    off = set(notifications.MUTABLE) - set(kinds)
    notifications.set_muted(session=session, user_id=user.id, kinds=off)
    response = RedirectResponse("/account/notifications", status_code=303)
    flash(response, request, "Saved: you get the notifications you ticked.")
    return response


@router.get("/export")
def export_data(session: SessionDep, user: CurrentUser) -> Response:
    data = profile.export(session=session, user=user)
    return json_download(f"agora-{user.username}-data.json", data)


@router.get("/delete")
def delete_account_form(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    footprint = users.footprint(session=session, user=user)
    return render(request, "account/delete.html", {"footprint": footprint, "error": None})


@router.post("/delete")
def delete_account(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    ip: ClientIP,
    current_password: FormStr = "",
) -> Response:
    try:
        users.confirm_password(
            session=session, settings=settings, user=user, password=current_password, ip=ip
        )
        users.remove(session=session, user=user)
    except (ValidationFailed, Throttled, Forbidden) as exc:
        footprint = users.footprint(session=session, user=user)
        return render(
            request,
            "account/delete.html",
            {"footprint": footprint, "error": exc.message},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    flash(response, request, "Your account, posts and votes are deleted. Goodbye, and thank you.")
    return response
