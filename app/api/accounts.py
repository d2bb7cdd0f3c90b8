"""Recovering and confirming accounts: the mailed links' tokens, used from a script or an app."""

from fastapi import APIRouter, Response

from app.api import error_responses, operation_id
from app.deps import ApiUser, ClientIP, SessionDep, SettingsDep
from app.schemas import EmailVerify, Message, PasswordForgot, PasswordReset
from app.services import accounts

router = APIRouter(prefix="/api", tags=["accounts"], generate_unique_id_function=operation_id)

ACCEPTED = Message(detail="Accepted: if there is mail to send, it is on its way.")


@router.post(
    "/password/forgot",
    status_code=202,
    summary="Ask for a password reset link",
    responses=error_responses(400, 413, 429),
)
def api_password_forgot(
    session: SessionDep, settings: SettingsDep, ip: ClientIP, data: PasswordForgot
) -> Message:
    """Mail a reset link to the address if an account uses it. Always 202, whether or not one
    does (unknown addresses get nothing); throttled per address and per client address."""
    accounts.request_reset(session=session, settings=settings, email=data.email, ip=ip)
    return ACCEPTED


@router.post(
    "/password/reset",
    status_code=204,
    response_class=Response,
    summary="Choose a new password with a reset token",
    responses=error_responses(400, 413, e400="The token is invalid, expired or used."),
)
def api_password_reset(session: SessionDep, settings: SettingsDep, data: PasswordReset) -> Response:
    """Set a new password with the token from a reset mail. Every session and bearer token of
    the account ends; no token is returned: get one from POST /api/token as usual."""
    accounts.reset_password(
        session=session, settings=settings, token=data.token, password=data.password
    )
    return Response(status_code=204)


@router.post(
    "/email/verify",
    status_code=204,
    response_class=Response,
    summary="Confirm an email address with its token",
    responses=error_responses(400, 413, e400="The token is invalid, expired or used."),
)
def api_email_verify(session: SessionDep, data: EmailVerify) -> Response:
    """Confirm the address a verification (or address change) mail was sent to."""
    accounts.confirm_email(session=session, token=data.token)
    return Response(status_code=204)


@router.post(
    "/email/resend",
    status_code=202,
    summary="Send the confirmation link again",
    responses=error_responses(401, 429),
)
def api_email_resend(session: SessionDep, settings: SettingsDep, user: ApiUser) -> Message:
    """Mail your account's confirmation link again: at most once a minute and 5 times a day."""
    accounts.resend_verification(session=session, settings=settings, user=user)
    return ACCEPTED
