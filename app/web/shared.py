"""Pages every anonymous visitor sees alike, rendered once per change of what they show.

Someone with no session and no message waiting sees the same Latest feed (or Top, or post, or
tag page, or profile, or Latest and Top Atom feed) as every other such visitor, and it
changes only when the counters it is built from move: every write that changes a public page
bumps the site's in its own transaction (app.services.changes), or for a profile's follower
counts the account's, which that page reads as its window. So such a page is rendered once
per counter value and then served from memory, with an ETag from the same counters; a
browser that has the page gets 304, with no render and no post query.

This is the one whole-page cache. It keeps only answers that set no cookie (a page that hands
out a form token is never shared), keys them by host and scheme as well as the URL, and holds
at most MAX_BYTES per app (per process). What it bought: docs/performance.md, "Pages anonymous
visitors share".

Two doors lead to it. A route calls `answer` (it renders, and keeps, what is not kept yet).
In front of the routes, `SharedPagesMiddleware` answers a request with no cookie of ours for
a page already kept: the route stored with it how to tell its current version (its
`Recipe`), so the middleware needs only the counters' one read. That front door skips
FastAPI's routing and dependencies, which were most of what a kept page or a 304 cost
(docs/performance.md, "The front door").
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy import Engine
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api import conditional
from app.auth import SESSION_COOKIE
from app.db import run_db
from app.models import Viewer
from app.services import changes, sidebar
from app.templating import FLASH_COOKIE

MAX_BYTES = 8_000_000
MAX_RECIPES = 4096  # pages' URLs whose recipe is known (a few hundred bytes each)

# What else a page depends on besides the site's counters (Top's window of time), found in
# the same call as the counters.
Window = Callable[[Engine], object]
Key = tuple[str, str | None, str, str]


def _no_window(engine: Engine) -> object:
    return None


@dataclass(frozen=True)
class Recipe:
    """How to tell which version of a page is current, without its route."""

    window: Window = _no_window
    side: bool = False  # it shows the side column, which lags writes (app.services.sidebar)
    dated: bool = False  # it says Last-Modified (the Atom feeds)


@dataclass(frozen=True)
class _Page:
    body: bytes
    media_type: str


class SharedPages:
    """One app's shared pages, least recently used first, at most MAX_BYTES of them, and the
    recipes of the URLs they were kept for."""

    def __init__(self) -> None:
        self.pages: OrderedDict[tuple[str, Key], _Page] = OrderedDict()
        self.held = 0
        self.recipes: OrderedDict[Key, Recipe] = OrderedDict()

    def get(self, key: tuple[str, Key]) -> _Page | None:
        found = self.pages.get(key)
        if found is not None:
            self.pages.move_to_end(key)
        return found

    def recipe(self, key: Key) -> Recipe | None:
        """The recipe kept for `key`, now the most recently used: URLs walked once (a crawler
        reading every profile) push out the least used, never the pages people keep asking for."""
        found = self.recipes.get(key)
        if found is not None:
            self.recipes.move_to_end(key)
        return found

    def put(self, key: tuple[str, Key], page: _Page, recipe: Recipe) -> None:
        self.pages[key] = page
        self.held += len(page.body)
        while self.held > MAX_BYTES and self.pages:
            _, oldest = self.pages.popitem(last=False)
            self.held -= len(oldest.body)
        self.recipes[key[1]] = recipe
        self.recipes.move_to_end(key[1])
        while len(self.recipes) > MAX_RECIPES:
            self.recipes.popitem(last=False)


def shareable(request: Request, viewer: Viewer | None) -> bool:
    """Whether this visitor sees what every anonymous visitor sees (and the app shares)."""
    return (
        viewer is None
        and FLASH_COOKIE not in request.cookies
        and request.app.state.shared_pages is not None
    )


def _key(scope: Scope) -> Key:
    """The URL a page is kept for, from the scope (as both doors see it)."""
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    return (scope["scheme"], host, scope["path"], scope["query_string"].decode("latin-1"))


def _current(engine: Engine, key: Key, recipe: Recipe) -> tuple[str, datetime | None]:
    """The page's ETag now, and when the site last changed: one read (two with a window that
    reads too)."""
    counters, changed_at = changes.site_state(engine)
    window = recipe.window(engine)
    if recipe.side:
        window = (window, sidebar.as_of(engine=engine, counter=counters[1]))
    return conditional.tag_for(key, None, window, counters), changed_at


def _headers(tag: str, changed_at: datetime | None, recipe: Recipe) -> dict[str, str]:
    headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Cookie"}
    if recipe.dated and changed_at is not None:
        headers["Last-Modified"] = conditional.http_date(changed_at)
    return headers


def _reply(found: _Page | None, headers: dict[str, str]) -> Response:
    if found is None:
        return Response(status_code=304, headers=headers)  # nothing rendered, nothing read
    return Response(found.body, media_type=found.media_type, headers=headers)


async def answer(
    request: Request,
    render: Callable[[], Awaitable[Response]],
    *,
    window: Window = _no_window,
    side: bool = False,
    dated: bool = False,
) -> Response:
    """The page for `request` from memory, a 304, or `render()`'s (kept when shareable).

    `window` finds whatever else the page depends on (Top's window of time), part of the
    tag; `side`: the page shows the side column, which lags writes by up to
    its TTL (app.services.sidebar), so the counter it shows is part of them too; `dated`: it
    says when the site last changed (Last-Modified, for feed readers).
    """
    engine = request.app.state.engine
    key = _key(request.scope)
    recipe = Recipe(window, side, dated)
    tag, changed_at = await run_db(engine, _current, engine, key, recipe)
    headers = _headers(tag, changed_at, recipe)
    if conditional.fresh(request, tag):
        return _reply(None, headers)
    pages: SharedPages | None = request.app.state.shared_pages  # None: development
    found = pages.get((tag, key)) if pages is not None else None
    if found is not None:
        return _reply(found, headers)
    response = await render()
    # A page holding a form token is its visitor's alone, whether or not it set a cookie: a
    # visitor with a pre-session already gets their token with no Set-Cookie.
    mine = "set-cookie" in response.headers or getattr(request.state, "form_token_made", False)
    if response.status_code == 200 and not mine:
        response.headers.update(headers)
        if pages is not None:
            page = _Page(bytes(response.body), response.media_type or "text/html")
            pages.put((tag, key), page, recipe)
    return response


_OURS = (SESSION_COOKIE.encode(), FLASH_COOKIE.encode())


def _for_anyone(scope: Scope) -> bool:
    """A GET with no body and no cookie of ours (by name anywhere in the header: a false
    alarm only sends the request the long way)."""
    if scope["method"] != "GET":
        return False
    for name, value in scope["headers"]:
        if name == b"cookie" and any(ours in value for ours in _OURS):
            return False
        if name in (b"content-length", b"transfer-encoding"):
            return False
    return True


class SharedPagesMiddleware:
    """The front door: a kept page (or a 304) for a request with no cookie of ours, before
    routing; anything else, or a page not kept at its current version, goes on to the routes.

    Inside the body checks and outside the database sessions (create_app), so it answers
    only what went the whole way once already: a URL is served here only after its route
    kept a page for it, with that route's recipe. The pages and the engine are the app's
    (`app.state`), read per request like the routes read them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _for_anyone(scope):
            state = scope["app"].state
            pages: SharedPages | None = state.shared_pages
            key = _key(scope)
            recipe = pages.recipe(key) if pages is not None else None
            if pages is not None and recipe is not None:
                response = await _kept(scope, pages, state.engine, key, recipe)
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


async def _kept(
    scope: Scope, pages: SharedPages, engine: Engine, key: Key, recipe: Recipe
) -> Response | None:
    tag, changed_at = await run_db(engine, _current, engine, key, recipe)
    headers = _headers(tag, changed_at, recipe)
    if conditional.fresh(Request(scope), tag):
        return _reply(None, headers)
    found = pages.get((tag, key))
    return _reply(found, headers) if found is not None else None
