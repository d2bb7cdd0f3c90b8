"""Who is asking, and the refusals that say they may not: a leaf module that every layer
(dependencies, middleware, error pages, templates) imports, so imports flow one way.

Each refusal carries its status, its public message and its headers; the error handlers read
them and decide nothing by class.
"""

from dataclasses import dataclass
from typing import ClassVar

from app.models import SessionInfo, Viewer

SESSION_COOKIE = "agora_session"
PRESESSION_COOKIE = "agora_presession"


@dataclass
class Auth:
    """Who is asking: the viewer and their session, or both None for anonymous visitors."""

    user: Viewer | None = None
    session: SessionInfo | None = None
    unread: int = 0  # the viewer's unread notifications, for the pages' header (up to 100)


class LoginRequired(Exception):
    """Raised by dependencies for anonymous visitors: pages redirect to /login, the API says 401."""

    status_code: ClassVar[int] = 401
    message: ClassVar[str] = (
        "Not authenticated. Send Authorization: Bearer <token>, with a token from POST /api/token."
    )
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class TokenRejected(LoginRequired):
    """An API bearer token was sent but is forged, expired, revoked or a page cookie's token."""

    message = "The bearer token is invalid, expired or revoked. Get a new one from POST /api/token."
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class CsrfFailed(Exception):
    """The form's CSRF token or the request's origin is wrong; answered with a 403 page."""

    status_code: ClassVar[int] = 403
    message: ClassVar[str] = (
        "This form has expired or did not come from this site. Go back, reload the page and "
        "try again."
    )
    headers: ClassVar[dict[str, str]] = {}
