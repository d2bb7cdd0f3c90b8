"""One way to answer an error: an HTML page in the site's layout, or JSON under /api."""

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.deps import CsrfFailed, LoginRequired, PermissionDenied, TokenRejected
from app.logs import request_id_var
from app.middleware import add_security_headers
from app.services import AlreadyExists, DomainError, Throttled, ValidationFailed
from app.web import safe_next

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
}
MESSAGES = {
    400: "We could not understand that request.",
    403: "You do not have permission to do that.",
    404: "We looked everywhere, but that page does not exist, or it is not yours to see.",
    405: "That address does not accept this kind of request.",
    413: "That request is too large for us to accept.",
    500: "Something broke on our side. It has been logged, and nothing you sent was lost "
    "that was not already saved. Please try again in a moment.",
}

# Clients of the JSON API read these, not people on a page.
API_MESSAGES = {
    400: "The request is malformed.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Internal server error. It has been logged.",
}


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def error_response(
    request: Request,
    status: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    detail: Any = None,
) -> Response:
    if is_api(request):
        message = message or API_MESSAGES.get(status) or TITLES.get(status, "Error")
        return JSONResponse(
            {"detail": detail if detail is not None else message},
            status_code=status,
            headers=headers,
        )
    from app.templating import render

    message = message or MESSAGES.get(status) or TITLES.get(status, "Error")
    _ensure_auth(request)
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": TITLES.get(status, "Error"), "message": message},
        status_code=status,
        headers=headers,
    )


def _ensure_auth(request: Request) -> None:
    """Errors raised before authentication still show the visitor's login state in the header."""
    if hasattr(request.state, "auth"):
        return
    from app.deps import SESSION_COOKIE, Auth
    from app.security import read_cookie
    from app.services import sessions

    request.state.auth = Auth()
    token = read_cookie(request, SESSION_COOKIE)
    if not token:
        return
    try:
        found = sessions.resolve(
            engine=request.app.state.engine,
            settings=request.app.state.settings,
            token=token,
            kind="web",
        )
        if found:
            request.state.auth = Auth(*found)
    except Exception:  # noqa: BLE001 - an error page must render even if the database is down
        log.warning("could not resolve the visitor for an error page", exc_info=True)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", ""))
    return "Some of what was sent is not valid — " + "; ".join(parts)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a clear 4xx/5xx answer."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else None
        if message in ("Not Found", "Method Not Allowed"):
            message = None
        return error_response(
            request, exc.status_code, message, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            errors = exc.errors()
            if errors and all(error.get("type") == "json_invalid" for error in errors):
                # Not JSON at all is a malformed request (400), not invalid content (422).
                return error_response(request, 400, "The request body is not valid JSON.")
            return JSONResponse({"detail": _jsonable(errors)}, status_code=422)
        return error_response(request, 400, _validation_message(exc))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            if isinstance(exc, TokenRejected):
                return error_response(
                    request,
                    401,
                    "The bearer token is invalid, expired or revoked. Get a new one from "
                    "POST /api/token.",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            return error_response(
                request,
                401,
                "Not authenticated. Send Authorization: Bearer <token>, with a token from "
                "POST /api/token.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            # A form posted after the session ended: come back to the page the form was on.
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = referer.netloc == request.url.netloc
            target = safe_next(referer.path if same_site else "/")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    @app.exception_handler(PermissionDenied)
    async def permission_denied(request: Request, exc: PermissionDenied) -> Response:
        return error_response(request, 403, exc.message)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return error_response(
            request,
            403,
            "This form has expired or did not come from this site. Go back, reload the page and "
            "try again.",
        )

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        detail = None
        if is_api(request):
            if exc.status_code == 401:
                headers = {"WWW-Authenticate": "Bearer"}
            if isinstance(exc, ValidationFailed) and not isinstance(exc, AlreadyExists):
                # The same shape as FastAPI's own 422s, so clients read one format.
                detail = [
                    {"loc": ["body", field], "msg": message, "type": "value_error"}
                    for field, message in exc.errors.items()
                ]
        return error_response(request, exc.status_code, exc.message, headers=headers, detail=detail)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = request_id_var.get()
        log.error(
            "unhandled error on %s %s",
            request.method,
            request.url.path,
            exc_info=exc,
            extra={"request_id": request_id},
        )
        # This answer bypasses the middleware stack, so the request id and the security headers
        # are added here.
        response = error_response(
            request, 500, headers={"X-Request-ID": request_id} if request_id else None
        )
        add_security_headers(
            response.headers, https=request.url.scheme == "https", path=request.url.path
        )
        return response


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
