"""Pure ASGI middleware: request logs, security headers, caps and checks on request bodies.

Past ~300 lines: each layer is small, and keeping them in one file keeps their order, which
`create_app` sets and each layer's docstring relies on, readable in one place.
"""

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import held_reads
from app.logs import request_id_var

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
STATIC_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
HSTS = "max-age=63072000; includeSubDomains"
# The stated exceptions to `no-store` (docs/security.md): a feed reader must keep a feed and its
# ETag to ask again with If-None-Match, so feeds may be stored but are checked each time. The
# public feeds show only what everyone sees (no viewer, no form tokens); the notifications
# feed's secret address is one person's, so only their own client may store it.
FEEDS = "/feeds/"
PRIVATE_FEEDS = "/feeds/notifications/"
FEED_CACHE = "no-cache"
PRIVATE_FEED_CACHE = "private, no-cache"

# How a middleware answers a request it refuses: the site's error page (or JSON under /api),
# handed in by create_app, so middleware never imports the view layer.
ErrorRenderer = Callable[[Request, int, str], Awaitable[Response]]
# How the app answers an exception nothing else handled (it logs it too).
FailureHandler = Callable[[Request, Exception], Awaitable[Response]]


def add_security_headers(
    headers: MutableHeaders, *, https: bool, path: str, csp: str = CSP
) -> None:
    """The headers of SECURITY.md rows 8, 29, 30 and 31; a header a route set itself is kept."""
    present = {key for key, _ in headers.raw}
    headers.raw.extend(
        (key, value)
        for key, value in _security_headers(https, _path_kind(path), csp)
        if key not in present
    )


def _path_kind(path: str) -> str:
    if path.startswith("/static/"):
        return "static"
    if path.startswith(PRIVATE_FEEDS):
        return "private-feed"
    if path.startswith(FEEDS):
        return "feed"
    return "page"


@lru_cache(maxsize=16)
def _security_headers(https: bool, kind: str, csp: str) -> tuple[tuple[bytes, bytes], ...]:
    pairs = {**STATIC_HEADERS, "content-security-policy": csp}
    if https:
        pairs["strict-transport-security"] = HSTS
    if kind == "feed":
        pairs["cache-control"] = FEED_CACHE
    elif kind == "private-feed":
        pairs["cache-control"] = PRIVATE_FEED_CACHE
    elif kind != "static":
        # Pages may show a user's own data and carry form tokens: never store them.
        pairs["cache-control"] = "no-store"
    return tuple((key.encode("latin-1"), value.encode("latin-1")) for key, value in pairs.items())


class HttpMiddleware:
    """Pure ASGI middleware for HTTP requests: `handle` sees each one; lifespan and other
    scopes pass straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class SecurityHeadersMiddleware(HttpMiddleware):
    """Adds the security headers to every response this middleware sees."""

    def __init__(self, app: ASGIApp, csp: str = CSP) -> None:
        super().__init__(app)
        self.csp = csp

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(
                    MutableHeaders(scope=message), https=https, path=scope["path"], csp=self.csp
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UnhandledErrorMiddleware(HttpMiddleware):
    """Answer an exception nothing else handled with `handle_failure`'s page, and end it there.

    Starlette's ServerErrorMiddleware re-raises after its handler answers, so the server logged
    the error a second time and closed the connection, failing the client's next request too.
    Here the exception stops, and the answer passes through the request log and the security
    headers like any other. If part of an answer was already sent, nothing valid can follow it:
    the server is left to close the connection.
    """

    def __init__(self, app: ASGIApp, handle_failure: FailureHandler) -> None:
        super().__init__(app)
        self.handle_failure = handle_failure

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the one place every failure is answered
            response = await self.handle_failure(Request(scope, receive), exc)
            if not started:
                await response(scope, receive, send)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class ApiCorsMiddleware(HttpMiddleware):
    """Starlette's CORS for /api only: pages never answer another origin.

    Never with credentials: the API reads bearer tokens, which a script sends on purpose, and
    ignores the site's cookies, so another origin gains nothing a script elsewhere lacks.
    """

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(app)
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Link", "Location", "Retry-After", "WWW-Authenticate"],
            allow_credentials=False,
            max_age=600,
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_api_path(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class HeadMiddleware(HttpMiddleware):
    """HEAD is answered wherever GET is, pages and API alike: the GET route runs and only its
    head (status and headers, Content-Length and ETag included) is sent.

    One rule for every route, those added later too, instead of each router remembering to
    list HEAD (which would also put a second operation per path in the OpenAPI document).
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_head(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_head)


# Where a request's ORM sessions are listed, for DbSessionMiddleware to close.
OPEN_SESSIONS = "agora.sessions"


class DbSessionMiddleware(HttpMiddleware):
    """Close every ORM session the request opened (app.deps.get_session), whatever happened,
    and give back the one connection its prebuilt reads shared (app.db.held_reads).

    A session with no transaction holds nothing; one that read or wrote gives its connection
    back to the pool here, with any uncommitted work rolled back.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        opened: list[Session] = []
        scope[OPEN_SESSIONS] = opened
        try:
            with held_reads(scope["app"].state.engine):
                await self.app(scope, receive, send)
        finally:
            for session in opened:
                session.close()


class BodyTooLarge(HTTPException):
    """An HTTPException, so body parsers that wrap other errors as 400 let it through as 413."""

    def __init__(self) -> None:
        super().__init__(413, "That request is too large for us to accept.")


class BodySizeLimitMiddleware(HttpMiddleware):
    """Refuse bodies over `max_bytes` with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, render_error: ErrorRenderer) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.render_error = render_error

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(scope, receive, send)
                return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        limit_kb = self.max_bytes // 1000
        response = await self.render_error(
            request,
            413,
            f"That request is larger than the {limit_kb:,} kB we accept. "
            "Nothing was saved; shorten it and try again.",
        )
        response.headers["connection"] = "close"
        await response(scope, receive, send)


# The methods that change nothing (SECURITY.md row 13) and carry no body to check: the one list,
# for the middleware, the CSRF check and the page routers.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body (already capped by BodySizeLimitMiddleware), or None if the
    client went away before sending it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app `body` (read by a middleware) once, then the real one."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class FormEncodingMiddleware(HttpMiddleware):
    """Read urlencoded bodies as UTF-8, as browsers mean them, and refuse ones that are not.

    Starlette decodes raw bytes in such a body as Latin-1 and invalid percent-escapes as U+FFFD,
    so a hand-made request (`curl -d 'title=café'`) would store mojibake. Raw UTF-8 is escaped
    here so it decodes right; bytes that are not UTF-8 at all get a 400 that says why. The body
    is already capped by BodySizeLimitMiddleware, which must wrap this one.
    """

    def __init__(self, app: ASGIApp, render_error: ErrorRenderer) -> None:
        super().__init__(app)
        self.render_error = render_error

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        if content_type.partition(b";")[0].strip().lower() != b"application/x-www-form-urlencoded":
            await self.app(scope, receive, send)
            return

        body = await read_body(receive)
        if body is None:
            return  # the client went away
        try:
            unquote_to_bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            response = await self.render_error(
                Request(scope),
                400,
                "The form did not arrive as UTF-8 text, so nothing was saved. Please try again.",
            )
            await response(scope, receive, send)
            return
        if not body.isascii():
            body = _RAW_BYTE.sub(lambda m: b"%%%02X" % m.group()[0], body)
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", b"%d" % len(body))]}

        await self.app(scope, replaying(body, receive), send)


_RAW_BYTE = re.compile(rb"[\x80-\xff]")


# A JSON string escape for U+0000: "\u0000" after an odd run of backslashes ("\\u0000" is text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _has_nul(body: bytes, content_type: bytes) -> bool:
    if b"\x00" in body:
        return True
    kind = content_type.partition(b";")[0].strip().lower()
    if kind == b"application/x-www-form-urlencoded":
        return b"\x00" in unquote_to_bytes(body)
    if kind == b"multipart/form-data":
        return False  # fields arrive raw: a NUL in one is the raw byte looked for above
    return _JSON_NUL.search(body) is not None  # JSON, or a body FastAPI may read as JSON


class NulByteMiddleware(HttpMiddleware):
    """Refuse a NUL character anywhere in the path, the query string or a form or JSON body.

    No text Agora keeps or looks up may hold U+0000 (PostgreSQL cannot store it at all), so it
    is refused once, here, with a 400 that says why, rather than field by field. The body is
    already capped by BodySizeLimitMiddleware, which must wrap this one.
    """

    def __init__(self, app: ASGIApp, render_error: ErrorRenderer) -> None:
        super().__init__(app)
        self.render_error = render_error

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope["query_string"]):
            await self._refuse(scope, receive, send)
            return
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return  # the client went away
        if _has_nul(body, dict(scope["headers"]).get(b"content-type", b"")):
            await self._refuse(scope, receive, send)
            return

        await self.app(scope, replaying(body, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.render_error(
            Request(scope),
            400,
            "The request contains a NUL character (U+0000), which no text here may hold, so "
            "nothing was done. Remove it and try again.",
        )
        await response(scope, receive, send)


# A proxy's or client's request id is kept only if it is short and plain, so it cannot forge
# log lines or smuggle markup into them; anything else is replaced by one of ours.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:+=/@-]{1,128}")
request_log = logging.getLogger("agora.request")


# Paths that carry a key to an account (links from mail): logged without it.
_TOKEN_PATHS = ("/password/reset/", "/email/verify/")


def loggable_path(path: str) -> str:
    for prefix in _TOKEN_PATHS:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix + "[token]"
    return path


class RequestLogMiddleware(HttpMiddleware):
    """One log line per request (method, path, status, duration, request id); echoes the id in
    X-Request-ID so a user's report can be matched to the log."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else secrets.token_hex(16)
        # Not reset afterwards: each request has its own task, so the id cannot leak to another.
        request_id_var.set(request_id)
        status = 500  # what the client gets if the app raises before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            request_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": loggable_path(scope["path"]),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "request_id": request_id,
                    "client": client[0] if client else None,
                },
            )
