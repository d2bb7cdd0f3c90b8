"""Accounts: sign up, and read your own or anyone's public profile."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.api import conditional, error_responses, operation_id
from app.deps import ApiUser, ClientIP, SessionDep, SettingsDep, Username
from app.schemas import Message, UserCreate, UserPrivate, UserPublic
from app.services import accounts, changes, users

CHECK_EMAIL = "Check your email: open the link we sent to finish signing up, then log in."

router = APIRouter(prefix="/api/users", tags=["users"], generate_unique_id_function=operation_id)


@router.post(
    "",
    status_code=201,
    summary="Create an account",
    responses={
        201: {
            "description": "With EMAIL_VERIFICATION=optional: the new account, as its owner "
            "sees it (log in at once).",
            "headers": {
                "Location": {"description": "The account's URL.", "schema": {"type": "string"}}
            },
        },
        202: {
            "model": Message,
            "description": "With EMAIL_VERIFICATION=required: check your email. The same answer "
            "whether or not the address already had an account (its owner is told instead).",
        },
        **error_responses(
            400,
            403,
            409,
            413,
            429,
            e403="Sign-ups are closed (REGISTRATION=closed) or by invitation "
            "(REGISTRATION=invite): invites are used in a browser, at the link itself.",
            e409="The username is taken (with `optional`, or the email is).",
        ),
    },
)
def api_create_user(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIP,
    data: UserCreate,
) -> UserPrivate:
    """Sign up. The answer includes the email, since you just sent it; others never see it.

    With EMAIL_VERIFICATION=required the answer is 202 and the account logs in once its
    address is confirmed (POST /api/email/verify with the token from the mail). Only a site
    open to sign-ups (REGISTRATION=open) takes them here; otherwise the answer is 403.
    """
    user = accounts.sign_up(
        session=session,
        settings=settings,
        username=data.username,
        email=data.email,
        password=data.password,
        ip=ip,
    )
    if settings.email_verification == "required" or user is None:
        return JSONResponse({"detail": CHECK_EMAIL}, status_code=202)  # type: ignore[return-value]
    response.headers["Location"] = request.app.url_path_for("api_get_user", username=user.username)
    return UserPrivate.of(user)


@router.get("/me", summary="Your account", responses=error_responses(401))
def api_get_me(
    request: Request, response: Response, session: SessionDep, user: ApiUser
) -> UserPrivate:
    """The account behind the bearer token, with its email and role."""
    tag = conditional.etag(session, changes.user(user.id), key="me", viewer_id=user.id)
    conditional.answer(request, response, tag)
    return UserPrivate.of(user)


@router.get("/{username}", summary="A public profile", responses=error_responses(404))
def api_get_user(
    request: Request,
    response: Response,
    session: SessionDep,
    username: Username,
) -> UserPublic:
    """What anyone may see of an account. Their posts: `GET /api/posts?author=<username>`."""
    user = users.get_available(session, username)
    conditional.answer(
        request, response, conditional.etag(session, changes.user(user.id), key="user")
    )
    return UserPublic.of(user)
