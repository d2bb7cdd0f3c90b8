"""Accounts: sign up, and read your own or anyone's public profile."""

from fastapi import APIRouter, Request, Response

from app.api import error_responses, operation_id
from app.deps import ApiUser, ClientIP, SessionDep, SettingsDep, Username
from app.schemas import UserCreate, UserPrivate, UserPublic
from app.services import accounts, users

router = APIRouter(prefix="/api/users", tags=["users"], generate_unique_id_function=operation_id)


@router.post(
    "",
    status_code=201,
    summary="Create an account",
    responses={
        201: {
            "description": "The new account, as its owner sees it.",
            "headers": {
                "Location": {"description": "The account's URL.", "schema": {"type": "string"}}
            },
        },
        **error_responses(400, 409, 413, e409="The username or email is already taken."),
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
    """Sign up. The answer includes the email, since you just sent it; others never see it."""
    user = accounts.sign_up(
        session=session,
        settings=settings,
        username=data.username,
        email=data.email,
        password=data.password,
        ip=ip,
    )
    response.headers["Location"] = request.app.url_path_for("api_get_user", username=user.username)
    return UserPrivate.of(user)


@router.get("/me", summary="Your account", responses=error_responses(401))
def api_get_me(user: ApiUser) -> UserPrivate:
    """The account behind the bearer token, with its email and role."""
    return UserPrivate.of(user)


@router.get("/{username}", summary="A public profile", responses=error_responses(404))
def api_get_user(
    session: SessionDep,
    username: Username,
) -> UserPublic:
    """What anyone may see of an account. Their posts: `GET /api/posts?author=<username>`."""
    return UserPublic.of(users.get_available(session, username))
