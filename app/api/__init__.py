"""The JSON API under /api, one router per area, on the same services as the pages."""

from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.middleware import is_api_path
from app.pagination import Cursor, decode_cursor
from app.schemas import Message

MAX_LIMIT = 100
# How many items a listing answers at once: the one `limit` of every API listing.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]

_WHY = {
    400: "The request is malformed (for example, a body that is not JSON, or a NUL character).",
    401: "No bearer token, or one that is invalid, expired or revoked.",
    403: "You may not do this to that resource.",
    404: "No such resource, or one you may not see.",
    409: "The request conflicts with the current state.",
    412: "`If-Match` names a version that is no longer current: read it again.",
    413: "The request body is too large.",
    429: "Too many attempts (failed logins, reset requests, sign-ups); wait Retry-After seconds.",
}
_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": '`Bearer`, with `error="invalid_token"` for a bad token.',
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
}


def error_responses(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can answer (each a `Message`).

    `why` overrides a description by status, e.g. `e409="You already voted."`.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": Message, "description": why.get(f"e{code}", _WHY[code])}
        if code in _HEADERS:
            entry["headers"] = _HEADERS[code]
        responses[code] = entry
    return responses


def openapi_error(code: int) -> dict[str, Any]:
    """The OpenAPI response entry for an error status, for operations given it afterwards."""
    schema = {"$ref": "#/components/schemas/Message"}
    return {"description": _WHY[code], "content": {"application/json": {"schema": schema}}}


def operation_id(route: APIRoute) -> str:
    """Route names carry an `api_` prefix to stay unique app-wide; operation ids drop it."""
    return route.name.removeprefix("api_")


def invalid_query(name: str, message: str) -> RequestValidationError:
    """A 422 naming query parameter `name`, as FastAPI's own validation answers."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", name), "msg": message, "input": None}]
    )


def read_cursor(cursor: str) -> Cursor:
    """The place a `next_cursor` names; a 422 for any other text."""
    try:
        return decode_cursor(cursor)
    except ValueError:
        raise invalid_query(
            "cursor", "Not a cursor from this API; use `next_cursor` as given."
        ) from None


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameters `route` reads, its dependencies' included."""
    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        dependants.extend(dependant.dependencies)
        for field in dependant.query_params:
            kind = field.field_info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):  # a query-parameter model
                names.update(sub.alias or key for key, sub in kind.model_fields.items())
            else:
                names.add(field.alias)
    return frozenset(names)


async def known_query_only(request: Request) -> None:
    """Refuse a query parameter an API route does not read, naming it: a client paging with
    a name we do not know (`skip`) must not get the first page again and again."""
    route = request.scope.get("route")
    if not request.query_params or not isinstance(route, APIRoute):
        return
    if not is_api_path(request.url.path):
        return
    known = declared_query(route)
    for name in request.query_params:
        if name not in known:
            takes = ", ".join(sorted(known)) or "none"
            raise invalid_query(name, f"Unknown query parameter; this takes: {takes}.")


def link_pages(response: Response, *, next: str | None, prev: str | None = None) -> None:
    """RFC 8288 `Link` to the neighbouring pages, as the body's `next` says, so generic
    clients can page without knowing our schema.

    Relative references (RFC 8288 section 3.1 allows them): an absolute one would have to
    come from the Host header, which a client may forge.
    """
    links = [f'<{url}>; rel="{rel}"' for rel, url in (("prev", prev), ("next", next)) if url]
    if links:
        response.headers["Link"] = ", ".join(links)
