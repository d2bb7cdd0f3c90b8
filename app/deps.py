"""Request dependencies, one `Annotated` alias per concern.

Past ~300 lines on purpose: every access rule a route can depend on (post and comment, page and
API) is found here by one name, each a line or two over its service.
"""

import ipaddress
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    Auth,
    CsrfFailed,
    LoginRequired,
    TokenRejected,
)
from app.config import Settings
from app.db import engine_of, run_db
from app.middleware import OPEN_SESSIONS, SAFE_METHODS
from app.models import MAX_ID, USERNAME_MAX, Comment, Post, User, Viewer
from app.pagination import MAX_PAGE
from app.security import (
    PRESESSION_MAX_AGE,
    csrf_token_valid,
    is_cross_site,
    read_cookie,
    unsign_value,
)
from app.services import Forbidden, comments, inbox, newcomers, posts, sessions, throttle

# Dependencies are `async def` unless they block: FastAPI runs every plain `def` dependency in a
# worker thread, and on the hottest pages those thread hops cost more than the work itself.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> Session:
    """The request's ORM session; `DbSessionMiddleware` closes it once the answer is sent.

    Not a `yield` dependency: FastAPI's cleanup machinery for one costs more than a whole
    indexed query, on every page. The middleware's `finally` gives the same guarantee.
    """
    session = Session(request.app.state.engine, expire_on_commit=False)
    # The site-wide rules services read from their session (users.may_act, newcomers.hold);
    # consoles and scripts open theirs without them, and act as trusted.
    settings = request.app.state.settings
    session.info["email_verification"] = settings.email_verification
    session.info[newcomers.SESSION_KEY] = newcomers.Limits.of(settings)
    request.scope[OPEN_SESSIONS].append(session)
    return session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
PostId = Annotated[int, Path(ge=1, le=MAX_ID, description="The post's id.")]
CommentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The comment's id.")]
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The notification's id.")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id.")]
ReportId = Annotated[int, Path(ge=1, le=MAX_ID, description="The report's id.")]
InviteId = Annotated[int, Path(ge=1, le=MAX_ID, description="The invite's id.")]
Username = Annotated[str, Path(max_length=USERNAME_MAX, description="Any case.")]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="The page, from 1.")]
FormStr = Annotated[str, Form(max_length=100_000)]  # a form field; each has its own rules past this


# A page's session read also counts the header's unread notifications, for the user the token
# names: one statement, not two (docs/performance.md, "The header's count in the session's
# read"). Composed here, where sessions and notifications meet; an API token's counts nothing.
PAGE_SESSION = sessions.reader(inbox.unread(bindparam("user_id")))
_READS = {"web": PAGE_SESSION, "api": sessions.UNCOUNTED}


async def _resolve(request: Request, token: str, kind: str) -> Auth | None:
    """The live session behind a page cookie or a bearer token, its last use recorded."""
    engine = request.app.state.engine
    found = await run_db(
        engine,
        sessions.resolve,
        engine=engine,
        settings=request.app.state.settings,
        token=token,
        kind=kind,
        read=_READS[kind],
    )
    if found is None:
        return None
    if sessions.claim_touch(found[1]):
        # A write may wait on another writer's lock: never on the event loop.
        await run_in_threadpool(sessions.touch, engine=engine, row=found[1])
    return Auth(*found)


async def get_auth(request: Request) -> Auth:
    """Resolve the page cookie once per request; templates read the result from request.state.

    No sub-dependencies (engine and settings come from the app): every page view, even an
    anonymous one, solves this, and each dependency FastAPI solves costs time.
    """
    known: Auth | None = getattr(request.state, "auth", None)
    if known is not None:  # read at the front door already (app.web.shared)
        return known
    token = read_cookie(request, SESSION_COOKIE)
    # The session's read brings the header's unread count with it (PAGE_SESSION above).
    auth = (await _resolve(request, token, "web") if token else None) or Auth()
    request.state.auth = auth
    return auth


AuthDep = Annotated[Auth, Depends(get_auth)]


async def get_optional_user(request: Request) -> Viewer | None:
    """Who is looking, for pages that only read: no ORM object is loaded.

    Calls `get_auth` itself rather than depending on it: one dependency fewer for FastAPI to
    solve on the pages viewed most (get_auth keeps its answer on the request either way)."""
    return (await get_auth(request)).user


# The dependencies that resolve the visitor, for routers that make sure one does (app.web).
RESOLVES_VISITOR = (get_auth, get_optional_user)


def _account(session: Session, auth: Auth) -> User:
    """The logged-in user's row, attached to the request's session, for routes that act."""
    user = session.get(User, auth.user.id) if auth.user is not None else None
    if user is None:
        raise LoginRequired()
    return user


async def get_current_user(auth: AuthDep, session: SessionDep) -> User:
    return await run_db(engine_of(session), _account, session, auth)


async def get_moderator(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not posts.may_moderate(user):
        raise Forbidden("This page is for moderators and administrators.")
    return user


async def get_admin(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("This page is for administrators.")
    return user


OptionalUser = Annotated[Viewer | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
ModeratorUser = Annotated[User, Depends(get_moderator)]
AdminUser = Annotated[User, Depends(get_admin)]


def csrf_binding(request: Request, auth: Auth) -> str | None:
    """What a form's CSRF token is bound to: the session's jti, else the pre-session nonce."""
    if auth.session is not None:
        return "s:" + auth.session.jti
    settings: Settings = request.app.state.settings
    nonce = getattr(request.state, "new_presession", None) or unsign_value(
        read_cookie(request, PRESESSION_COOKIE),
        key=settings.signing_key,
        salt="presession",
        max_age=PRESESSION_MAX_AGE,
    )
    return "p:" + nonce if isinstance(nonce, str) else None


async def csrf_protect(request: Request, auth: AuthDep, settings: SettingsDep) -> None:
    """Refuse unsafe requests from other sites or without this session's form token."""
    if request.method in SAFE_METHODS:
        return
    if is_cross_site(request):
        raise CsrfFailed()
    form = await request.form()
    token = form.get("csrf_token")
    binding = csrf_binding(request, auth)
    if not isinstance(token, str) or binding is None:
        raise CsrfFailed()
    if not csrf_token_valid(token, binding, settings.signing_key):
        raise CsrfFailed()


CsrfProtected = Depends(csrf_protect)


def _plain(address: str) -> str:
    ip = throttle.plain_ip(address)
    return address if ip is None else str(ip)


def _trusted(address: str, settings: Settings) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.trusted_networks)


async def client_ip(request: Request, settings: SettingsDep) -> str:
    """The client's address; X-Forwarded-For is believed only from a configured trusted proxy."""
    peer = _plain(request.client.host) if request.client else "unknown"
    if not _trusted(peer, settings):
        return peer
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
    # Walk from the nearest hop back; the first address we don't trust is the client. Anything
    # further left was written by the client itself and proves nothing.
    for hop in reversed(forwarded):
        try:
            address = _plain(str(ipaddress.ip_address(hop)))
        except ValueError:
            # A hop that is not an address: stop at the last one a trusted proxy vouched for.
            return peer
        if not _trusted(address, settings):
            return address
        peer = address
    return peer


ClientIP = Annotated[str, Depends(client_ip)]


# --- the JSON API: bearer tokens only; the page cookie means nothing under /api --------------

api_bearer = OAuth2PasswordBearer(
    tokenUrl="/api/token",
    scheme_name="bearer",
    description="A token from `POST /api/token`, sent as `Authorization: Bearer <token>`.",
    auto_error=False,
)


async def get_api_auth(request: Request, token: Annotated[str | None, Depends(api_bearer)]) -> Auth:
    """The bearer token's user and session; a token that is sent but not valid gets 401."""
    if token is None:
        return Auth()
    auth = await _resolve(request, token, "api")
    if auth is None:
        raise TokenRejected()
    return auth


ApiAuth = Annotated[Auth, Depends(get_api_auth)]


async def get_optional_api_user(auth: ApiAuth) -> Viewer | None:
    return auth.user


def get_api_user(auth: ApiAuth, session: SessionDep) -> User:
    return _account(session, auth)


OptionalApiUser = Annotated[Viewer | None, Depends(get_optional_api_user)]
ApiUser = Annotated[User, Depends(get_api_user)]


# --- post access: a post this viewer may see, own, remove or vote on ----------------------
# The rules live in app.services.posts (`visible_to` above all); these only hand every page and
# API route that takes a post id the same answer. Pages and the API resolve the viewer each
# their own way (cookie or bearer), hence one dependency per rule and family.


def _visible(session: Session, viewer: Viewer | User | None, post_id: int) -> Post:
    post, _ = posts.get_visible(session=session, post_id=post_id, viewer=viewer)
    return post


def get_visible_post(session: SessionDep, user: OptionalUser, post_id: PostId) -> Post:
    return _visible(session, user, post_id)


def get_own_post(session: SessionDep, user: CurrentUser, post_id: PostId) -> Post:
    return posts.get_owned(session=session, post_id=post_id, user=user)


def get_removable_post(session: SessionDep, user: CurrentUser, post_id: PostId) -> Post:
    return posts.get_removable(session=session, post_id=post_id, user=user)


def get_votable_post(session: SessionDep, user: CurrentUser, post_id: PostId) -> Post:
    return posts.get_votable(session=session, post_id=post_id, user=user)


def get_api_visible_post(session: SessionDep, user: OptionalApiUser, post_id: PostId) -> Post:
    return _visible(session, user, post_id)


def get_api_own_post(session: SessionDep, user: ApiUser, post_id: PostId) -> Post:
    return posts.get_owned(session=session, post_id=post_id, user=user)


def get_api_removable_post(session: SessionDep, user: ApiUser, post_id: PostId) -> Post:
    return posts.get_removable(session=session, post_id=post_id, user=user)


def get_api_votable_post(session: SessionDep, user: ApiUser, post_id: PostId) -> Post:
    return posts.get_votable(session=session, post_id=post_id, user=user)


VisiblePost = Annotated[Post, Depends(get_visible_post)]
VotablePost = Annotated[Post, Depends(get_votable_post)]
OwnPost = Annotated[Post, Depends(get_own_post)]
RemovablePost = Annotated[Post, Depends(get_removable_post)]
ApiVisiblePost = Annotated[Post, Depends(get_api_visible_post)]
ApiOwnPost = Annotated[Post, Depends(get_api_own_post)]
ApiRemovablePost = Annotated[Post, Depends(get_api_removable_post)]
ApiVotablePost = Annotated[Post, Depends(get_api_votable_post)]


# --- comment access: a comment this viewer may see, own, remove or vote on -------------------
# The same pattern as posts: the rules are app.services.comments', built on `posts.visible_to`.


def get_visible_comment(session: SessionDep, user: OptionalUser, comment_id: CommentId) -> Comment:
    comment, _ = comments.get_visible(session=session, comment_id=comment_id, viewer=user)
    return comment


def get_own_comment(session: SessionDep, user: CurrentUser, comment_id: CommentId) -> Comment:
    return comments.get_owned(session=session, comment_id=comment_id, user=user)


def get_removable_comment(session: SessionDep, user: CurrentUser, comment_id: CommentId) -> Comment:
    return comments.get_removable(session=session, comment_id=comment_id, user=user)


def get_votable_comment(session: SessionDep, user: CurrentUser, comment_id: CommentId) -> Comment:
    return comments.get_votable(session=session, comment_id=comment_id, user=user)


def get_api_own_comment(session: SessionDep, user: ApiUser, comment_id: CommentId) -> Comment:
    return comments.get_owned(session=session, comment_id=comment_id, user=user)


def get_api_visible_comment(
    session: SessionDep, user: OptionalApiUser, comment_id: CommentId
) -> Comment:
    comment, _ = comments.get_visible(session=session, comment_id=comment_id, viewer=user)
    return comment


def get_api_votable_comment(session: SessionDep, user: ApiUser, comment_id: CommentId) -> Comment:
    return comments.get_votable(session=session, comment_id=comment_id, user=user)


VisibleComment = Annotated[Comment, Depends(get_visible_comment)]
OwnComment = Annotated[Comment, Depends(get_own_comment)]
RemovableComment = Annotated[Comment, Depends(get_removable_comment)]
VotableComment = Annotated[Comment, Depends(get_votable_comment)]
ApiVisibleComment = Annotated[Comment, Depends(get_api_visible_comment)]
ApiOwnComment = Annotated[Comment, Depends(get_api_own_comment)]
ApiVotableComment = Annotated[Comment, Depends(get_api_votable_comment)]
