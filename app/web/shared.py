"""Pages every anonymous visitor sees alike, rendered once per change of what they show.

Someone with no session and no message waiting sees the same Latest feed (or Top, or post) as
every other such visitor, and it changes only when the site's change counter moves: every
write that changes a public page bumps it in its own transaction (app.services.changes). So
such a page is rendered once per counter value and then served from memory, with an ETag from
the same counter; a browser that has the page gets 304, with no render and no post query.

This is the one whole-page cache. It keeps only answers that set no cookie (a page that hands
out a form token is never shared), keys them by host and scheme as well as the URL, and holds
at most MAX_BYTES per app (per process). What it bought: docs/performance.md, "Pages anonymous
visitors share".
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from app.api import conditional
from app.db import run_db
from app.models import Viewer
from app.services import changes, sidebar
from app.templating import FLASH_COOKIE

MAX_BYTES = 8_000_000


@dataclass(frozen=True)
class _Page:
    body: bytes
    media_type: str


class SharedPages:
    """One app's shared pages, least recently used first, at most MAX_BYTES of them."""

    def __init__(self) -> None:
        self.pages: OrderedDict[tuple[object, ...], _Page] = OrderedDict()
        self.held = 0

    def get(self, key: tuple[object, ...]) -> _Page | None:
        found = self.pages.get(key)
        if found is not None:
            self.pages.move_to_end(key)
        return found

    def put(self, key: tuple[object, ...], page: _Page) -> None:
        self.pages[key] = page
        self.held += len(page.body)
        while self.held > MAX_BYTES and self.pages:
            _, oldest = self.pages.popitem(last=False)
            self.held -= len(oldest.body)


def shareable(request: Request, viewer: Viewer | None) -> bool:
    """Whether this visitor sees what every anonymous visitor sees (and the app shares)."""
    return (
        viewer is None
        and FLASH_COOKIE not in request.cookies
        and request.app.state.shared_pages is not None
    )


async def answer(
    request: Request,
    render: Callable[[], Awaitable[Response]],
    *,
    window: object = None,
    side: bool = False,
) -> Response:
    """The page for `request` from memory, a 304, or `render()`'s (kept when shareable).

    `window` is whatever else the page depends on (Top's hour), part of the key and the tag;
    `side`: the page shows the side column, which lags writes by up to its TTL
    (app.services.sidebar), so the counter it shows is part of them too.
    """
    engine = request.app.state.engine
    counters = await run_db(engine, changes.site, engine)
    if side:
        window = (window, sidebar.as_of(engine=engine, counter=counters[1]))
    key = (request.url.scheme, request.headers.get("host"), request.url.path, request.url.query)
    tag = conditional.tag_for(key, None, window, counters)
    headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Cookie"}
    if conditional.fresh(request, tag):
        return Response(status_code=304, headers=headers)  # nothing rendered, nothing read
    pages: SharedPages = request.app.state.shared_pages
    found = pages.get((tag, key))
    if found is not None:
        return Response(found.body, media_type=found.media_type, headers=headers)
    response = await render()
    if response.status_code == 200 and "set-cookie" not in response.headers:
        response.headers.update(headers)
        pages.put((tag, key), _Page(bytes(response.body), response.media_type or "text/html"))
    return response
