"""Links that arrive by mail: forgot password, reset it, confirm an address, send it again.

Opening a link never acts: mail scanners fetch links before people do. The first GET moves
the token out of the URL into a short-lived signed cookie and redirects to a token-free URL
(the token so never reaches the request log, a Referer, or the browser's history); that page's
form POSTs, and only the POST uses the token.
"""

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.deps import AuthDep, ClientIP, CurrentUser, FormStr, SessionDep, SettingsDep
from app.security import clear_cookie
from app.services import Throttled, ValidationFailed, accounts, users
from app.services.accounts import InvalidLink
from app.services.validation import PASSWORD_RULES
from app.templating import flash, render
from app.web import LinkToken as Token
from app.web import PageRouter, stash, stashed
from app.web.auth import log_in_browser

router = PageRouter()

SENT = (
    "If an account uses that address, we've sent a link to it. It works for {minutes} minutes. "
    "Nothing arrived? Check your spam folder, or ask again in a minute."
)


RESET_COOKIE, VERIFY_COOKIE = "agora_reset", "agora_verify"


def _invalid(request: Request, title: str) -> Response:
    # 404: the link names nothing (any more); the page says how to get a new one.
    return render(
        request,
        "auth/link_invalid.html",
        {"title": title, "message": accounts.INVALID_LINK},
        status_code=404,
    )


# --- forgot / reset -----------------------------------------------------------------------------


@router.get("/password/forgot")
def forgot_form(request: Request) -> Response:
    return render(request, "auth/forgot.html", {"form": {}, "error": None, "sent": None})


@router.post("/password/forgot")
def forgot(
    request: Request, session: SessionDep, settings: SettingsDep, ip: ClientIP, email: FormStr = ""
) -> Response:
    try:
        accounts.request_reset(session=session, settings=settings, email=email, ip=ip)
    except Throttled as exc:
        return render(
            request,
            "auth/forgot.html",
            {"form": {"email": email}, "error": exc.message, "sent": None},
            status_code=429,
            headers=exc.headers,
        )
    sent = SENT.format(minutes=settings.reset_token_minutes)
    return render(request, "auth/forgot.html", {"form": {}, "error": None, "sent": sent})


@router.get("/password/reset/{token}")
def reset_link(request: Request, token: Token) -> Response:
    return stash(request, RESET_COOKIE, token, "/password/reset")


@router.get("/password/reset")
def reset_form(request: Request, session: SessionDep) -> Response:
    try:
        user = accounts.check_reset(session=session, token=stashed(request, RESET_COOKIE))
    except InvalidLink:
        return _invalid(request, "This reset link does not work")
    return render(
        request,
        "auth/reset.html",
        {"username": user.username, "errors": {}, "password_rules": PASSWORD_RULES},
    )


@router.post("/password/reset")
def reset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    password: FormStr = "",
) -> Response:
    token = stashed(request, RESET_COOKIE)
    try:
        user = accounts.reset_password(
            session=session, settings=settings, token=token, password=password
        )
    except InvalidLink:
        return _invalid(request, "This reset link does not work")
    except ValidationFailed as exc:
        name = accounts.check_reset(session=session, token=token).username
        return render(
            request,
            "auth/reset.html",
            {"username": name, "errors": exc.errors, "password_rules": PASSWORD_RULES},
            status_code=422,
        )
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response, request, RESET_COOKIE)
    if users.may_log_in(user):  # the same rule as /login: a reset opens no closed account
        log_in_browser(request, response, session=session, settings=settings, auth=auth, user=user)
    flash(response, request, "Your password is changed, and every other session is logged out.")
    return response


# --- confirming an address ----------------------------------------------------------------------


@router.get("/email/verify/{token}")
def verify_link(request: Request, token: Token) -> Response:
    return stash(request, VERIFY_COOKIE, token, "/email/verify")


@router.get("/email/verify")
def verify_form(request: Request, session: SessionDep) -> Response:
    try:
        row, user = accounts.find(
            session=session,
            token=stashed(request, VERIFY_COOKIE),
            purposes=(accounts.VERIFY, accounts.EMAIL),
        )
    except InvalidLink:
        return _invalid(request, "This confirmation link does not work")
    return render(request, "auth/verify.html", {"email": row.email, "username": user.username})


@router.post("/email/verify")
def verify(request: Request, session: SessionDep) -> Response:
    try:
        user, purpose = accounts.confirm_email(
            session=session, token=stashed(request, VERIFY_COOKIE)
        )
    except ValidationFailed:
        return _invalid(request, "This confirmation link does not work")
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response, request, VERIFY_COOKIE)
    words = "is now your address" if purpose == accounts.EMAIL else "is confirmed"
    flash(response, request, f"Thank you: {user.email} {words}.")
    return response


@router.post("/email/resend")
def resend(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    response = RedirectResponse("/", status_code=303)
    try:
        if accounts.resend_verification(session=session, settings=settings, user=user):
            flash(response, request, f"We sent a new link to {user.email}.")
        else:
            flash(response, request, "Your address is already confirmed.")
    except Throttled as exc:
        flash(response, request, exc.message, "error")
    return response
