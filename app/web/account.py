"""The signed-in user's own account: password, active sessions and invites."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.deps import AuthDep, ClientIP, CurrentUser, FormStr, SessionDep, SettingsDep
from app.models import AuthSession, User
from app.security import session_handle
from app.services import NotFound, Throttled, ValidationFailed, sessions, users
from app.services.validation import PASSWORD_RULES
from app.templating import flash, render
from app.web import PageRouter
from app.web.invites import forget_new_link, invite_section

router = PageRouter(prefix="/account")


# First match wins, so the browsers that also claim to be Chrome or Safari come first.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """A short, human name for a User-Agent string, such as "Firefox on Linux"."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser is None:
        # Programs name themselves first ("python-httpx/0.28"); show that name, never the rest.
        match = re.match(r"[A-Za-z][\w.-]{0,30}", user_agent)
        browser = match.group(0) if match else "Unknown browser"
    return f"{browser} on {system}" if system else browser


@dataclass(frozen=True)
class SessionRow:
    handle: str
    label: str
    is_api: bool
    created_at: datetime
    last_seen_at: datetime
    is_current: bool


def _session_rows(rows: list[AuthSession], current_jti: str | None) -> list[SessionRow]:
    """The sessions to show, this one first, then the most recently used."""
    shown = [
        SessionRow(
            handle=session_handle(row.jti),
            label=describe_agent(row.user_agent),
            is_api=row.kind == "api",
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            is_current=row.jti == current_jti,
        )
        for row in rows
    ]
    return sorted(shown, key=lambda row: not row.is_current)


def _render_page(
    request: Request,
    session: SessionDep,
    auth: AuthDep,
    user: User,
    *,
    password_errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    assert user.id is not None
    current_jti = auth.session.jti if auth.session else None
    rows = sessions.list_for_user(session=session, user_id=user.id)
    context: dict[str, Any] = {
        "account": user,
        "sessions": _session_rows(rows, current_jti),
        "password_errors": password_errors or {},
        "password_rules": PASSWORD_RULES,
        "invites": invite_section(request, session, request.app.state.settings, user),
    }
    return render(request, "account/index.html", context, status_code=status_code, headers=headers)


@router.get("")
def account_page(
    request: Request, session: SessionDep, user: CurrentUser, auth: AuthDep
) -> Response:
    response = _render_page(request, session, auth, user)
    forget_new_link(request, response)
    return response


@router.post("/password")
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    auth: AuthDep,
    ip: ClientIP,
    current_password: FormStr = "",
    new_password: FormStr = "",
    confirm_password: FormStr = "",
) -> Response:
    assert auth.session is not None
    try:
        ended = users.change_password(
            session=session,
            settings=settings,
            user=user,
            current_password=current_password,
            new_password=new_password,
            ip=ip,
            keep_jti=auth.session.jti,
            confirmation=confirm_password,
        )
    except Throttled as exc:
        return _render_page(
            request,
            session,
            auth,
            user,
            password_errors={"current_password": exc.message},
            status_code=429,
            headers=exc.headers,
        )
    except ValidationFailed as exc:
        return _render_page(
            request, session, auth, user, password_errors=exc.errors, status_code=422
        )
    response = RedirectResponse("/account", status_code=303)
    others = (
        f" {ended} other session{'s were' if ended != 1 else ' was'} logged out." if ended else ""
    )
    flash(response, request, "Your password is changed." + others)
    return response


@router.post("/sessions/end")
def end_session(
    request: Request, session: SessionDep, user: CurrentUser, session_id: FormStr = ""
) -> Response:
    assert user.id is not None
    if not sessions.end_by_handle(session=session, user_id=user.id, handle=session_id):
        raise NotFound("That session has already ended.")
    response = RedirectResponse("/account", status_code=303)
    flash(response, request, "That session is ended: whoever used it is logged out.")
    return response


@router.post("/sessions/end-others")
def end_other_sessions(
    request: Request, session: SessionDep, user: CurrentUser, auth: AuthDep
) -> Response:
    assert user.id is not None and auth.session is not None
    ended = sessions.end_all_for_user(session=session, user_id=user.id, keep_jti=auth.session.jti)
    response = RedirectResponse("/account", status_code=303)
    flash(
        response,
        request,
        f"Logged out everywhere else ({ended} session{'' if ended == 1 else 's'} ended).",
    )
    return response
