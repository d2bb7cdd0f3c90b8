"""Register, log in, log out."""

from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.auth import PRESESSION_COOKIE, SESSION_COOKIE
from app.deps import AuthDep, ClientIP, FormStr, SessionDep, SettingsDep
from app.models import User
from app.security import clear_cookie, read_cookie, set_cookie
from app.services import (
    Forbidden,
    LoginFailed,
    Suspended,
    Throttled,
    ValidationFailed,
    accounts,
    invites,
    sessions,
    users,
)
from app.services.validation import PASSWORD_RULES
from app.templating import flash, render
from app.web import PageRouter, safe_next
from app.web.invites import INVITE_COOKIE, opened_invite

router = PageRouter()

# One answer whatever was wrong, and whether a username or an email was typed (promise 19).
LOGIN_FAILED = (
    "Those details do not match an account: check the username or email and the password, "
    "and try again."
)


def log_in_browser(
    request: Request,
    response: Response,
    *,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    user: User,
) -> None:
    """Start a new session with a fresh jti; the one this browser held (if any) ends with it."""
    if auth.session is not None:
        sessions.end(session=session, jti=auth.session.jti)
    token, row = sessions.start(
        session=session,
        settings=settings,
        user=user,
        kind="web",
        user_agent=request.headers.get("user-agent", ""),
    )
    set_cookie(response, request, SESSION_COOKIE, token, max_age=int(settings.session_hours * 3600))
    clear_cookie(response, request, PRESESSION_COOKIE)


# The sign-up form's honeypot: hidden from people (and from screen readers), filled in by bots
# that fill in every field. Named like a field a bot expects to fill.
HONEYPOT = "website"
REFUSED = "We could not create an account from that form. Please try again."


def _register_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """The sign-up page as REGISTRATION has it: a closed notice, an ask for an invite, or the
    form (with who invited this visitor, if anyone did)."""
    page: dict[str, Any] = {
        "form": {},
        "errors": {},
        "password_rules": PASSWORD_RULES,
        "honeypot": HONEYPOT,
        "mode": settings.registration,
        "inviter": None,
        **context,
    }
    if settings.registration == "invite" and "notice" not in page:
        token = opened_invite(request)
        if not token:
            page["notice"] = accounts.BY_INVITATION
        else:
            try:
                page["inviter"] = invites.find_open(session=session, token=token)[1]
            except invites.InvalidInvite:
                page["notice"] = invites.INVALID_INVITE
                status_code = 404
    elif settings.registration == "closed":
        page["notice"] = accounts.SIGN_UPS_CLOSED
    return render(request, "auth/register.html", page, status_code=status_code)


@router.get("/register")
def register_form(
    request: Request, session: SessionDep, settings: SettingsDep, auth: AuthDep
) -> Response:
    if auth.user:
        return RedirectResponse("/", status_code=303)
    return _register_page(request, session, settings)


@router.post("/register")
def register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    ip: ClientIP,
    username: FormStr = "",
    email: FormStr = "",
    password: FormStr = "",
    website: Annotated[str, Form(alias=HONEYPOT, max_length=100_000)] = "",
) -> Response:
    kept = {"username": username, "email": email}
    if website:
        return _register_page(request, session, settings, 400, form=kept, form_error=REFUSED)
    try:
        user = accounts.sign_up(
            session=session,
            settings=settings,
            username=username,
            email=email,
            password=password,
            ip=ip,
            invite=opened_invite(request),
        )
    except Forbidden as exc:  # closed, or by invitation and no invite opened
        return _register_page(request, session, settings, 403, notice=exc.message)
    except invites.InvalidInvite as exc:
        return _register_page(request, session, settings, 400, notice=exc.message)
    except ValidationFailed as exc:
        return _register_page(
            request,
            session,
            settings,
            422,
            form=kept,
            errors=exc.errors,
            email_taken=exc.errors.get("email") == users.EMAIL_TAKEN,
        )
    if settings.email_verification == "required" or user is None:
        # One answer whether or not the address had an account (accounts.sign_up).
        response: Response = render(request, "auth/check_email.html", {"email": email.strip()})
    else:
        response = RedirectResponse("/", status_code=303)
        log_in_browser(request, response, session=session, settings=settings, auth=auth, user=user)
        flash(response, request, f"Welcome to Agora, {user.username}! You are logged in.")
    if read_cookie(request, INVITE_COOKIE) is not None:
        clear_cookie(response, request, INVITE_COOKIE)
    return response


@router.get("/login")
def login_form(
    request: Request, auth: AuthDep, next: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    if auth.user:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request, "auth/login.html", {"form": {}, "error": None, "next": safe_next(next, "")}
    )


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    ip: ClientIP,
    email: FormStr = "",
    password: FormStr = "",
    next: FormStr = "",
) -> Response:
    context = {"form": {"email": email}, "next": safe_next(next, "")}
    try:
        user = users.log_in(
            session=session, settings=settings, login=email, password=password, ip=ip
        )
    except Throttled as exc:
        return render(
            request,
            "auth/login.html",
            {**context, "error": exc.message},
            status_code=429,
            headers=exc.headers,
        )
    except LoginFailed:
        return render(
            request, "auth/login.html", {**context, "error": LOGIN_FAILED}, status_code=400
        )
    except Suspended as exc:  # the right password: only the owner reads why
        return render(
            request, "auth/login.html", {**context, "error": exc.message}, status_code=403
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    log_in_browser(request, response, session=session, settings=settings, auth=auth, user=user)
    flash(response, request, f"Welcome back, {user.username}.")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, auth: AuthDep) -> Response:
    if auth.session is not None:
        sessions.end(session=session, jti=auth.session.jti)
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    flash(response, request, "You are logged out.")
    return response
