"""The domain: rules and transactions, shared by the HTML pages and the JSON API."""


class DomainError(Exception):
    """A rule refused the request. `field` names the form field it concerns, if any."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


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


class AlreadyExists(ValidationFailed):
    """A unique value (username, email) is taken: a field error on pages, 409 in the API."""

    status_code = 409


class LoginFailed(DomainError):
    """The credentials match no active account (one answer for every reason, on purpose)."""

    status_code = 401


class Throttled(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
