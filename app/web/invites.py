"""Invite links (REGISTRATION=invite): a member makes and revokes them on the account page,
and a new person opens one to sign up (pages only: the API has no invites).

The link carries the token only as far as the first GET, which moves it into a signed cookie
(app.web.stash) and goes on to /register; the sign-up's POST uses it.
"""

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.config import Settings
from app.deps import CurrentUser, InviteId, SessionDep, SettingsDep
from app.models import User
from app.security import clear_cookie, read_cookie
from app.services import DomainError, invites, mail
from app.templating import flash
from app.web import LinkToken, PageRouter, stash, stashed

router = PageRouter()

# The invite a visitor opened, kept until they sign up: long enough to fill in the form.
INVITE_COOKIE = "agora_invite"
INVITE_COOKIE_SECONDS = 60 * 60
# A link just made, shown once on the account page (only its hash is stored).
MADE_COOKIE = "agora_invite_made"
SECTION = "/account#invites"


@router.get("/invite/{token}")
def invite_link(request: Request, token: LinkToken) -> Response:
    return stash(request, INVITE_COOKIE, token, "/register", max_age=INVITE_COOKIE_SECONDS)


def opened_invite(request: Request) -> str:
    """The token of the invite this browser opened, or ""."""
    return stashed(request, INVITE_COOKIE, max_age=INVITE_COOKIE_SECONDS)


@router.post("/account/invites")
def create_invite(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    try:
        token = invites.create(session=session, settings=settings, inviter=user)
    except DomainError as exc:
        response: Response = RedirectResponse(SECTION, status_code=303)
        flash(response, request, exc.message, "error")
        return response
    response = stash(request, MADE_COOKIE, token, SECTION)
    flash(response, request, "Your invite link is ready. Copy it now: it is shown only once.")
    return response


@router.post("/account/invites/{invite_id}/revoke")
def revoke_invite(
    request: Request, session: SessionDep, user: CurrentUser, invite_id: InviteId
) -> Response:
    invites.revoke(session=session, inviter=user, invite_id=invite_id)
    response = RedirectResponse(SECTION, status_code=303)
    flash(response, request, "The invite is revoked: its link no longer works.")
    return response


def invite_section(
    request: Request, session: SessionDep, settings: Settings, user: User
) -> dict[str, Any] | None:
    """What the account page shows of `user`'s invites; None unless sign-ups are by invitation."""
    if settings.registration != "invite":
        return None
    token = stashed(request, MADE_COOKIE)
    return {
        "rows": invites.made_by(session=session, inviter=user),
        "left": invites.left(session=session, settings=settings, inviter=user),
        "limit": settings.invites_per_member,
        "new_link": mail.link(settings, f"/invite/{token}") if token else None,
    }


def forget_new_link(request: Request, response: Response) -> None:
    """The new link has been shown: a reload does not show it again."""
    if read_cookie(request, MADE_COOKIE) is not None:
        clear_cookie(response, request, MADE_COOKIE)
