"""The OpenAPI document and the two pages that read it: Swagger UI (/docs) and Redoc (/redoc).

Both pages load their scripts from static/vendor, never from a CDN, and neither has an inline
script, so they run under the site's strict Content-Security-Policy.
"""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.responses import Response

from app import __version__
from app.api import openapi_error
from app.middleware import CSP
from app.templating import render

router = APIRouter(include_in_schema=False)

DESCRIPTION = """\
The same accounts, posts, votes and follows as the site, for scripts, tools and other front ends.

**Authentication.** Get a token from `POST /api/token` with your email (or username) and
password, then send it as `Authorization: Bearer <token>`. Here, use **Authorize**. Tokens last
an hour by default; `DELETE /api/token` revokes one at once. The site's login cookie means
nothing under `/api`.

**Errors** are always JSON: `{"detail": "what went wrong"}`, or for 422 a list of
`{"loc": [...], "msg": "...", "type": "..."}`, one per invalid field.

**Lists** are newest first. Read on with the `next` link (or `cursor=next_cursor`, or the
`Link: <...>; rel="next"` header) until it is null. A query parameter a route does not take is a
422.

**Conditional requests.** Answers carry an `ETag`: send it back in `If-None-Match` for a 304
while nothing changed, or in `If-Match` on an edit for a 412 if it changed since you read it.
All of it on one page: docs/api.md in the source.
"""
TAGS = [
    {"name": "auth", "description": "Bearer tokens: get one with your password, revoke it."},
    {"name": "users", "description": "Sign up; your account; public profiles."},
    {
        "name": "accounts",
        "description": "Password reset and email confirmation, with the tokens mailed to you.",
    },
    {"name": "posts", "description": "Published posts and your drafts: list, search, write."},
    {"name": "votes", "description": "One vote per person per post."},
    {"name": "follows", "description": "Follow people, and read their posts in your feed."},
    {
        "name": "blocks",
        "description": "Mute or block people: every listing, thread and notification honours it.",
    },
    {
        "name": "comments",
        "description": "Threads under published posts: read, write, reply, edit, delete, vote.",
    },
    {
        "name": "notifications",
        "description": "Replies, mentions, followers and vote milestones: read them, mark them "
        "read, choose which kinds you get.",
    },
    {"name": "tags", "description": "Tags in use, a tag's posts; follow a tag into your feed."},
    {
        "name": "bookmarks",
        "description": "Bookmark posts (only you see them); dismiss posts from your feeds.",
    },
    {
        "name": "reports",
        "description": "Report someone's post, comment or profile; moderators read the queue "
        "and decide, and each reporter hears the outcome.",
    },
]
# Redoc styles itself with injected <style> elements and runs its search in a blob: worker; this
# page alone allows those. Scripts stay 'self' only.
REDOC_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + (
    "; worker-src 'self' blob:"
)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document. Page routers are included with include_in_schema=False."""
    if app.openapi_schema is None:
        app.openapi_schema = get_openapi(
            title="Agora API",
            version=__version__,
            summary="Agora's accounts, posts and votes as JSON.",
            description=DESCRIPTION,
            routes=app.routes,
            tags=TAGS,
            license_info={"name": "MIT", "identifier": "MIT"},
        )
        # A NUL character anywhere in a request is refused before any route runs
        # (NulByteMiddleware), so every operation can answer 400.
        malformed = openapi_error(400)
        for operations in app.openapi_schema["paths"].values():
            for operation in operations.values():
                operation["responses"].setdefault("400", malformed)
    return app.openapi_schema


@router.get("/docs")
def swagger_ui(request: Request) -> Response:
    return render(request, "api/swagger.html", {"openapi_url": request.app.openapi_url})


@router.get("/redoc")
def redoc(request: Request) -> Response:
    response = render(request, "api/redoc.html", {"openapi_url": request.app.openapi_url})
    response.headers["content-security-policy"] = REDOC_CSP
    return response
