"""The domain: rules and transactions, shared by the HTML pages and the JSON API."""

from typing import Any, ClassVar


class DomainError(Exception):
    """A rule refused the request. `field` names the form field it concerns, if any.

    The error handlers answer with `status_code`, `message` and `headers`, and give API clients
    `api_detail()` when it is not None: each refusal says how it is answered.
    """

    status_code: ClassVar[int] = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def api_detail(self) -> Any:
        return None


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class ValidationFailed(DomainError):
    """One or more fields are invalid; `errors` maps field name to message."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors

    def api_detail(self) -> Any:
        # The same shape as FastAPI's own 422s, so clients read one format.
        return [
            {"loc": ["body", field], "msg": message, "type": "value_error"}
            for field, message in self.errors.items()
        ]


class AlreadyExists(ValidationFailed):
    """A unique value (username, email) is taken: a field error on pages, 409 in the API."""

    status_code = 409

    def api_detail(self) -> Any:
        return None  # one message, like every other conflict


class LoginFailed(DomainError):
    """The credentials match no active account (one answer for every reason, on purpose)."""

    status_code = 401

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Suspended(DomainError):
    """The right password for a suspended account: its owner is told until when, and why.

    Only ever raised after the password matched, so it discloses nothing to anyone else.
    """

    status_code = 403


class Throttled(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
