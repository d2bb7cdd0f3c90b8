"""One way to answer an error: an HTML page in the site's layout, or JSON under /api."""

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.api.conditional import NotModified
from app.auth import Auth, CsrfFailed, LoginRequired
from app.db import unavailable
from app.deps import get_auth
from app.logs import request_id_var
from app.middleware import is_api_path
from app.services import DomainError
from app.templating import render
from app.web import allowed_methods, safe_next

log = logging.getLogger("agora.errors")

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    422: "Check your input",
    429: "Slow down",
    500: "Something went wrong",
    503: "Cannot save right now",
}
MESSAGES = {
    400: "We could not understand that request.",
    403: "You do not have permission to do that.",
    404: "We looked everywhere, but that page does not exist, or it is not yours to see.",
    405: "That address does not accept this kind of request.",
    413: "That request is too large for us to accept.",
    500: "Something broke on our side. It has been logged. If you were saving something, it "
    "may not have been saved: please check, and try again in a moment.",
    503: "The site cannot save anything right now, so what you just sent may not have been "
    "saved: please check, and try again in a few minutes.",
}
# A 503 for a page that only reads: nothing was being saved.
UNAVAILABLE_READ = (
    "The site cannot reach its database right now. Please try again in a few minutes."
)

# Clients of the JSON API read these, not people on a page.
API_MESSAGES = {
    400: "The request is malformed.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Internal server error. It has been logged.",
    503: "The database is unavailable. If this request changed something, it may not have "
    "been saved: check, and retry after the time in Retry-After.",
}
# How long a client should wait before trying again when the database cannot serve: long
# enough not to hammer it, short enough that a recovered database is used again soon.
RETRY_AFTER_SECONDS = 30


def is_api(request: Request) -> bool:
    return is_api_path(request.url.path)


async def error_page(
    request: Request,
    status: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    detail: Any = None,
    title: str | None = None,
    retry: tuple[str, str] | None = None,
) -> Response:
    """The answer for `status`: JSON under /api, else the error page in the site's layout.

    A page's visitor is offered a way on: `retry` (a label and a local URL) when there is a
    better address for the same thing, the page they came from, the feed and a search box.
    """
    if is_api(request):
        message = message or API_MESSAGES.get(status) or TITLES.get(status, "Error")
        return JSONResponse(
            {"detail": detail if detail is not None else message},
            status_code=status,
            headers=headers,
        )
    message = message or MESSAGES.get(status) or TITLES.get(status, "Error")
    await _ensure_auth(request)
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": title or TITLES.get(status, "Error"),
            "message": message,
            "retry": retry,
            "back": _came_from(request),
        },
        status_code=status,
        headers=headers,
    )


async def _ensure_auth(request: Request) -> None:
    """Errors raised before authentication still show the visitor's login state in the header."""
    if hasattr(request.state, "auth"):
        return
    try:
        await get_auth(request)  # the same read as every page's, off the event loop
    except Exception:  # noqa: BLE001 - an error page must render even if the database is down
        request.state.auth = Auth()
        log.warning("could not resolve the visitor for an error page", exc_info=True)


# What a person reads when a page's address or form does not fit what the route accepts: the
# validator's own words ("Input should be a valid integer") are for API clients.
BAD_ADDRESS = (
    "There is nothing at this address. The link may be mistyped or cut short: check it, or "
    "find what you were looking for from the feed or with search."
)
BAD_PAGE_NUMBER = {
    "low": "Page “{value}” is not valid: pages are numbered from 1.",
    "high": "Page {value} is not valid: this list does not go that far.",
    "text": "“{value}” is not valid as a page number: pages are numbered 1, 2, 3…",
}
BAD_OPTION = (
    "This page cannot be shown with the option “{name}” set that way: the link is not valid "
    "here. The same page without it is below."
)
BAD_FORM = (
    "Some of what the form sent is missing or not valid, so nothing was changed. Go back, "
    "reload the page and try again."
)


def _bad_form(error: dict[str, Any], name: str) -> str:
    """What went wrong with a form's field, in words, when the route's own limits refused it."""
    kind, field = error.get("type", ""), name.replace("_", " ")[:40]
    if kind == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        return (
            f"The {field} field is too long: it can be at most {limit} characters. "
            "Nothing was changed."
        )
    if kind == "string_type":
        return f"The {field} field must be text, not a file. Nothing was changed."
    return BAD_FORM


def _page_validation_error(request: Request, exc: RequestValidationError) -> dict[str, Any]:
    """Title, message and a better address for a page whose request failed validation."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    where, name = (tuple(first.get("loc", ())) + ("", ""))[:2]
    if where == "path":
        return {"title": "Page not found", "message": BAD_ADDRESS}
    if where != "query":
        return {"title": "That did not go through", "message": _bad_form(first, str(name))}
    without = request.url.remove_query_params(str(name))
    retry_url = safe_next(without.path + (f"?{without.query}" if without.query else ""))
    value = str(request.query_params.get(str(name), ""))[:20]
    if name == "page":
        kind = first.get("type", "")
        key = "low" if "greater" in kind else "high" if "less" in kind else "text"
        return {
            "title": "No such page",
            "message": BAD_PAGE_NUMBER[key].format(value=value),
            "retry": ("Go to the first page", retry_url),
        }
    return {
        "title": "That link does not work here",
        "message": BAD_OPTION.format(name=str(name)[:40]),
        "retry": ("Show the page without it", retry_url),
    }


def _came_from(request: Request) -> str | None:
    """The page on this site the visitor came from, to offer as "Back", if it is another page."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return None
    back = safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), default="")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return back if back and back != here else None


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a clear 4xx/5xx answer."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request.scope)}
        return await error_page(request, exc.status_code, _public_detail(exc), headers=headers)

    @app.exception_handler(NotModified)
    async def not_modified(request: Request, exc: NotModified) -> Response:
        headers = {"ETag": exc.etag}
        if exc.last_modified is not None:
            headers["Last-Modified"] = exc.last_modified
        return Response(status_code=304, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            errors = exc.errors()
            if errors and all(error.get("type") == "json_invalid" for error in errors):
                # Not JSON at all is a malformed request (400), not invalid content (422).
                return await error_page(request, 400, "The request body is not valid JSON.")
            return JSONResponse({"detail": _jsonable(errors)}, status_code=422)
        return await error_page(request, 400, **_page_validation_error(request, exc))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            return await error_page(request, exc.status_code, exc.message, headers=exc.headers)
        return RedirectResponse(f"/login?next={quote(_come_back_to(request))}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def refused(request: Request, exc: CsrfFailed) -> Response:
        return await error_page(request, exc.status_code, exc.message, headers=exc.headers)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        detail = exc.api_detail() if is_api(request) else None
        return await error_page(
            request, exc.status_code, exc.message, headers=exc.headers, detail=detail
        )


async def server_error(request: Request, exc: Exception) -> Response:
    """The answer to an exception nothing else handled, logged once (UnhandledErrorMiddleware).

    A database that cannot serve now (unreachable, full, read-only) gets a 503 with
    Retry-After and one line in the log; anything else is a bug: a 500 and its traceback.
    """
    where = (request.method, request.url.path)
    # Passed on, not left to the formatter: a test client formats records in another context.
    tagged = {"request_id": request_id_var.get()}
    if unavailable(exc):
        log.warning(
            "the database is unavailable on %s %s: %s", *where, _first_line(exc), extra=tagged
        )
        # Asking the database who is looking would fail again (and wait again): a visitor
        # not yet recognised sees the page logged out.
        if not hasattr(request.state, "auth"):
            request.state.auth = Auth()
        reads = request.method in ("GET", "HEAD") and not is_api(request)
        return await error_page(
            request,
            503,
            UNAVAILABLE_READ if reads else None,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.error("unhandled error on %s %s", *where, exc_info=exc, extra=tagged)
    return await error_page(request, 500)


def _first_line(exc: BaseException) -> str:
    """What the driver said, without the SQL and its parameters that SQLAlchemy appends."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"


def _public_detail(exc: StarletteHTTPException) -> str | None:
    """The message the raiser wrote for people, if any.

    Starlette fills `detail` with the status phrase ("Not Found") when the raiser gave none:
    that is not a message, so the status's own wording is used instead. Server errors never
    show theirs.
    """
    if not isinstance(exc.detail, str) or exc.status_code >= 500:
        return None
    try:
        default = HTTPStatus(exc.status_code).phrase
    except ValueError:
        default = None
    return None if exc.detail == default else exc.detail


def _come_back_to(request: Request) -> str:
    """Where to return after logging in: this page, or for a form posted after the session
    ended, the page the form was on (with its query string)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return "/"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


def _jsonable(errors: Any) -> Any:
    """Where and why each field failed. `input` is left out: it may be a password, and `ctx`
    may hold exceptions or bytes that JSON cannot."""
    return [
        {key: _plain(value) for key, value in error.items() if key not in ("ctx", "url", "input")}
        for error in errors
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, (str, int)) else str(item) for item in value]
    return value if isinstance(value, (str, int, float, type(None))) else str(value)
