"""HTML pages, one router per area."""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Path, params
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from app.deps import RESOLVES_VISITOR, CsrfProtected, get_auth
from app.middleware import SAFE_METHODS
from app.models import User, Viewer
from app.security import read_cookie, set_cookie, sign_value, unsign_value
from app.services import votes
from app.templating import Slots, csrf_token, keeping

Visitor = Depends(get_auth)  # csrf_protect depends on it too

# A token in a link (a reset, a confirmation, an invite): the first GET moves it into a signed
# cookie and redirects to a token-free URL (app.web.recovery says why); only a POST uses it.
LINK_COOKIE_SECONDS = 15 * 60
LinkToken = Annotated[str, Path(max_length=100)]


def stash(
    request: Request, cookie: str, token: str, to: str, max_age: int = LINK_COOKIE_SECONDS
) -> Response:
    """Move `token` from the URL into a signed cookie, and go to the page without it."""
    response = RedirectResponse(to, status_code=303)
    signed = sign_value(token, key=request.app.state.settings.signing_key, salt=cookie)
    set_cookie(response, request, cookie, signed, max_age=max_age)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def stashed(request: Request, cookie: str, max_age: int = LINK_COOKIE_SECONDS) -> str:
    """The token `stash` put in `cookie`, or "" (none, tampered with, or too old)."""
    value = unsign_value(
        read_cookie(request, cookie),
        key=request.app.state.settings.signing_key,
        salt=cookie,
        max_age=max_age,
    )
    return value if isinstance(value, str) else ""


class PageRouter(APIRouter):
    """The router of an area of pages: every route that changes state checks the CSRF token.

    Like `APIRouter(dependencies=[CsrfProtected, *guards])`, but the check is attached only to
    POST (and other unsafe) routes, so a page view does not pay for a dependency that would
    return at once. `dependencies` are the area's other guards; they run after the CSRF check.
    """

    def __init__(self, *, dependencies: Sequence[params.Depends] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guards = list(dependencies)

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        **kwargs: Any,
    ) -> None:
        methods = list(methods or ("GET",))  # HEAD: app.middleware.HeadMiddleware
        # Every page shows who is logged in (the header), so every route resolves the visitor;
        # FastAPI solves it once per request however many dependencies ask for it.
        if set(methods) - SAFE_METHODS:
            first = [CsrfProtected]
        else:
            # A view whose own parameters resolve the visitor is not asked again: FastAPI would
            # answer from its cache, but each dependency it solves costs time on every view.
            first = [] if _resolves_visitor(path, endpoint) else [Visitor]
        super().add_api_route(
            path,
            endpoint,
            methods=methods,
            dependencies=[*first, *self.guards, *(dependencies or ())],
            **kwargs,
        )


def _resolves_visitor(path: str, endpoint: Callable[..., Any]) -> bool:
    """Whether `endpoint`'s parameters depend, at any depth, on one that resolves the visitor."""
    pending = list(get_dependant(path=path, call=endpoint).dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call in RESOLVES_VISITOR:
            return True
        pending.extend(dependency.dependencies)
    return False


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default` (never an open redirect)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


@dataclass(frozen=True, slots=True)
class Voting:
    """What a list of cards needs to show its viewer's vote boxes (_macros.html post_list)."""

    viewer: User | Viewer | None
    voted: frozenset[int]  # the page's posts this viewer votes for
    token: str | None  # the page's one form token (none for visitors: no pre-session cookie)
    here: str  # the page, query included: a vote comes back to it
    # While the page is drawn to be kept for every member: what its holes show (a vote box
    # each: app.templating.fill).
    keeping: Slots | None = None


def voting(request: Request, viewer: User | Viewer | None, posts: Iterable[Any]) -> Voting:
    """The vote boxes of a page of cards: for the signed-in, one read of their votes."""
    # From the scope: building `request.url` costs more than this whole line.
    query = request.scope["query_string"].decode("latin-1")
    here = request.scope["path"] + (f"?{query}" if query else "")
    if viewer is None:
        return Voting(None, frozenset(), None, here)
    kept = keeping(request)
    if kept is not None:  # drawn with holes for every member: no one's votes
        return Voting(viewer, frozenset(), csrf_token(request), here, kept)
    engine = request.app.state.engine
    assert viewer.id is not None
    voted = votes.voted_among(engine=engine, user_id=viewer.id, post_ids=[p.id for p in posts])
    return Voting(viewer, voted, csrf_token(request), here)


async def trailing_slash_redirect(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's answer when no route matches: Starlette's trailing-slash redirect, but
    relative, else 404.

    Starlette builds that redirect from the Host header, so without ALLOWED_HOSTS a forged Host
    came back in Location. Here `/login/` redirects to `/login` (and `/x` to `/x/` if only that
    matches), keeping the query string and the method (307), and never leaves the site.
    """
    router = scope["router"]
    path = scope["path"]
    if scope["type"] == "http" and path != "/":
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        probe = {**scope, "path": other}
        if safe_next(other) == other and any(
            route.matches(probe)[0] is not Match.NONE for route in router.routes
        ):
            location = quote(other)
            if scope["query_string"]:
                location += "?" + scope["query_string"].decode("latin-1")
            await RedirectResponse(location, status_code=307)(scope, receive, send)
            return
    await router.not_found(scope, receive, send)


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(scope: Scope) -> str:
    """Every method the request's path accepts, across all the routes that match it (a 405's
    `Allow`: Starlette lists only the first matching route's)."""
    methods: set[str] = set()
    probe = {**scope, "path_params": {}}
    for route in iter_route_contexts(scope["app"].router.routes):
        if route.methods and route.matches(probe)[0] is not Match.NONE:
            methods.update(route.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods, key=lambda m: (METHOD_ORDER + (m,)).index(m)))
