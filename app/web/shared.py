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

Members see Latest, Top and a post alike too, but for a few parts: their header (name, role,
unread count), each vote box (voted or not, their own post or not), a post's reader actions,
each comment's buttons and their form token. For a member whose listings are everyone's
(nothing blocked, muted or filtered) and no message waiting, those routes draw the page once
per version and kind of member (`_whose`) with a hole for each such part, keep it, and fill
the holes for each request with the functions that draw those parts on any page
(app.templating.fill) from the member's own reads (`_filled`). Such a page has no ETag (it
carries a token) and, like every page with a session, is never stored by the browser. What it
bought: docs/performance.md, "Members' pages kept with holes".

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
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app import templating
from app.api import conditional
from app.auth import SESSION_COOKIE, Auth
from app.db import run_db
from app.deps import get_auth
from app.models import Viewer
from app.services import NotFound, changes, posts, sidebar, votes
from app.templating import FLASH_COOKIE, Slots
from app.web import voting

MAX_BYTES = 8_000_000
MAX_RECIPES = 4096  # pages' URLs whose recipe is known (a few hundred bytes each)

# What else a page depends on besides the site's counters (Top's window of time), found in
# the same call as the counters.
Window = Callable[[Engine], object]
Key = tuple[str, str | None, str, str]
# A kept page: its ETag, its URL, and whose it is ("" for every visitor, else which members':
# `_whose`).
PageKey = tuple[str, Key, str]


def _no_window(engine: Engine) -> object:
    return None


@dataclass(frozen=True)
class Recipe:
    """How to tell which version of a page is current, without its route."""

    window: Window = _no_window
    side: bool = False  # it shows the side column, which lags writes (app.services.sidebar)
    dated: bool = False  # it says Last-Modified (the Atom feeds)
    members: bool = False  # it is kept for members too (with holes: app.templating.fill)


@dataclass(frozen=True)
class _Page:
    body: bytes
    media_type: str

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True)
class _MembersPage:
    """A page kept for every member of a kind: its HTML around its holes, and what they show
    (app.templating.Slots)."""

    parts: tuple[str, ...]
    slots: Slots

    @property
    def size(self) -> int:
        """Its HTML, and the comments' rendered Markdown its holes hold (the bulk of the rest)."""
        comments = sum(len(slot[2]) for name, slot in self.slots.items() if name[0] == "c")
        return sum(map(len, self.parts)) + comments


class SharedPages:
    """One app's shared pages, least recently used first, at most MAX_BYTES of them, and the
    recipes of the URLs they were kept for."""

    def __init__(self) -> None:
        self.pages: OrderedDict[PageKey, _Page | _MembersPage] = OrderedDict()
        self.held = 0
        self.recipes: OrderedDict[Key, Recipe] = OrderedDict()

    def get(self, key: PageKey) -> "_Page | _MembersPage | None":
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

    def put(self, key: PageKey, page: "_Page | _MembersPage", recipe: Recipe) -> None:
        self.pages[key] = page
        self.held += page.size
        while self.held > MAX_BYTES and self.pages:
            _, oldest = self.pages.popitem(last=False)
            self.held -= oldest.size
        self.recipes[key[1]] = recipe
        self.recipes.move_to_end(key[1])
        while len(self.recipes) > MAX_RECIPES:
            self.recipes.popitem(last=False)


def shareable(request: Request, viewer: Viewer | None, *, members: bool = False) -> bool:
    """Whether this visitor sees what every anonymous visitor sees (and the app shares); with
    `members` (the route draws its page's per-member parts as holes: app.templating.fill),
    also whether this member sees what every member of their role sees, but for those parts."""
    if FLASH_COOKIE in request.cookies or request.app.state.shared_pages is None:
        return False
    return viewer is None or (members and _alike(viewer))


def _alike(viewer: Viewer) -> bool:
    """A member whose listings are everyone's (nothing blocked, muted, dismissed or filtered)."""
    return not viewer.screens


def _whose(viewer: Viewer) -> str:
    """Which members' kept page this member sees: by role, and whether a banner asks them to
    confirm their address."""
    return viewer.role if viewer.verified else f"{viewer.role}, unconfirmed"


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
    members: bool = False,
) -> Response:
    """The page for `request` from memory, a 304, or `render()`'s (kept when shareable).

    `window` finds whatever else the page depends on (Top's window of time), part of the
    tag; `side`: the page shows the side column, which lags writes by up to
    its TTL (app.services.sidebar), so the counter it shows is part of them too; `dated`: it
    says when the site last changed (Last-Modified, for feed readers); `members`: it is kept
    for members too (`shareable(..., members=True)` said this one may have it).
    """
    engine = request.app.state.engine
    key = _key(request.scope)
    recipe = Recipe(window, side, dated, members)
    tag, changed_at = await run_db(engine, _current, engine, key, recipe)
    pages: SharedPages | None = request.app.state.shared_pages  # None: development
    viewer = getattr(request.state, "auth", Auth()).user  # the Atom feeds read no session
    if members and viewer is not None:
        return await _for_member(request, pages, (tag, key, _whose(viewer)), recipe, render)
    headers = _headers(tag, changed_at, recipe)
    if conditional.fresh(request, tag):
        return _reply(None, headers)
    found = pages.get((tag, key, "")) if pages is not None else None
    if isinstance(found, _Page):
        return _reply(found, headers)
    response = await render()
    # A page holding a form token is its visitor's alone, whether or not it set a cookie: a
    # visitor with a pre-session already gets their token with no Set-Cookie.
    mine = "set-cookie" in response.headers or getattr(request.state, "form_token_made", False)
    if response.status_code == 200 and not mine:
        response.headers.update(headers)
        if pages is not None:
            page = _Page(bytes(response.body), response.media_type or "text/html")
            pages.put((tag, key, ""), page, recipe)
    return response


async def _for_member(
    request: Request,
    pages: SharedPages | None,
    key: PageKey,
    recipe: Recipe,
    render: Callable[[], Awaitable[Response]],
) -> Response:
    """A member's page: the kept one filled for them, or drawn with holes, kept, and filled.

    No ETag and no 304: a member's page carries their own form token and unread count, and
    (like every page with a session) is never stored (app.middleware). A route whose page
    turns out to be this member's alone (their own draft) says so with `mine(request)`."""
    found = pages.get(key) if pages is not None else None
    if isinstance(found, _MembersPage):
        return HTMLResponse(await _filled(request, found))
    request.state.keeping = {}
    try:
        response = await render()
    finally:
        slots, request.state.keeping = request.state.keeping, None
    page = _MembersPage(templating.holes(bytes(response.body).decode()), slots)
    shared = response.status_code == 200 and "set-cookie" not in response.headers
    if shared and pages is not None and not getattr(request.state, "mine", False):
        pages.put(key, page, recipe)
    response.body = (await _filled(request, page)).encode()
    response.headers["content-length"] = str(len(response.body))
    return response


def mine(request: Request) -> None:
    """While a page is drawn to be kept for members: it shows something of this member's
    alone, outside its holes (a post only its author may see), so it is not kept."""
    request.state.mine = True


async def _filled(request: Request, page: _MembersPage) -> str:
    """`page` for the request's member: what its holes need of theirs, read (their votes among
    its cards; on a post page the post as they see it and their votes among its comments)."""
    auth: Auth = request.state.auth
    user = auth.user
    assert user is not None
    engine = request.app.state.engine
    slots = page.slots
    cards = [card for name, card in slots.items() if name[0] == "v"]
    member = templating.Member(await run_db(engine, voting, request, user, cards), auth.unread)
    shown = slots.get("p") or slots.get("r")
    if shown is not None:  # a post page: NotFound if it is gone for this member
        post = await run_db(engine, posts.get_page, engine=engine, post_id=shown.id, viewer=user)
        voted = await run_db(
            engine, votes.comments_voted, engine=engine, user_id=user.id, post_id=shown.id
        )
        member = templating.Member(member.voting, member.unread, post, voted)
    return templating.fill(request.app.state.templates, page.parts, slots, member)


_SESSION, _FLASH = SESSION_COOKIE.encode(), FLASH_COOKIE.encode()


def _asker(scope: Scope) -> str | None:
    """For a GET with no body: "visitor" with no cookie of ours, "member" with a session's and
    no message waiting; else None. (By name anywhere in the header: a false alarm only sends
    the request the long way.)"""
    if scope["method"] != "GET":
        return None
    asker = "visitor"
    for name, value in scope["headers"]:
        if name == b"cookie":
            if _FLASH in value:
                return None
            if _SESSION in value:
                asker = "member"
        if name in (b"content-length", b"transfer-encoding"):
            return None
    return asker


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
        asker = _asker(scope) if scope["type"] == "http" else None
        if asker is not None:
            state = scope["app"].state
            pages: SharedPages | None = state.shared_pages
            key = _key(scope)
            recipe = pages.recipe(key) if pages is not None else None
            if pages is not None and recipe is not None:
                if asker == "visitor":
                    response = await _kept(scope, pages, state.engine, key, recipe)
                elif recipe.members:
                    response = await _kept_for_member(scope, pages, state.engine, key, recipe)
                else:
                    response = None
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
    found = pages.get((tag, key, ""))
    return _reply(found, headers) if isinstance(found, _Page) else None


async def _kept_for_member(
    scope: Scope, pages: SharedPages, engine: Engine, key: Key, recipe: Recipe
) -> Response | None:
    """A kept page filled for the member whose session this is. Who they are is read as every
    page reads it (`get_auth`, which the routes then reuse should the page not be kept)."""
    request = Request(scope)
    auth = await get_auth(request)
    if auth.user is None or not _alike(auth.user):
        return None
    tag, _ = await run_db(engine, _current, engine, key, recipe)
    found = pages.get((tag, key, _whose(auth.user)))
    if not isinstance(found, _MembersPage):
        return None
    try:
        return HTMLResponse(await _filled(request, found))
    except NotFound:  # gone for this member since (a post): the route answers as it should
        return None
