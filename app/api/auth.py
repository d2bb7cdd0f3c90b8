"""Bearer tokens: get one with a password (OAuth2 password flow), revoke it when done."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.api import error_responses, operation_id
from app.deps import ApiAuth, ApiUser, ClientIP, SessionDep, SettingsDep
from app.schemas import Token
from app.services import sessions, users

router = APIRouter(prefix="/api", tags=["auth"], generate_unique_id_function=operation_id)


@router.post(
    "/token",
    summary="Get a bearer token",
    responses=error_responses(
        400,
        401,
        403,
        429,
        e401="The login and password do not match an account.",
        e403="The password is right but the account is suspended: the message says until when "
        "and why.",
    ),
)
def api_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIP,
    username: Annotated[
        str,
        Form(min_length=1, max_length=300, description="Your email address or your username."),
    ],
    password: Annotated[str, Form(min_length=1, max_length=1000)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> Token:
    """Trade an email (or username) and password for a bearer token.

    Failed attempts are throttled per account and per client address, exactly as the login page
    is: after too many, the answer is 429 with `Retry-After`.
    """
    user = users.log_in(
        session=session, settings=settings, login=username, password=password, ip=ip
    )
    token, _ = sessions.start(
        session=session,
        settings=settings,
        user=user,
        kind="api",
        user_agent=request.headers.get("user-agent", ""),
    )
    return Token(access_token=token, expires_in=int(settings.api_token_hours * 3600))


@router.delete(
    "/token",
    summary="Revoke this bearer token",
    status_code=204,
    response_class=Response,
    responses=error_responses(401),
)
def api_revoke_token(session: SessionDep, user: ApiUser, auth: ApiAuth) -> Response:
    """End the session behind the token this request carries; the token stops working at once."""
    assert auth.session is not None
    sessions.end(session=session, jti=auth.session.jti)
    return Response(status_code=204)
