"""Conditional requests: an ETag from the change counters of what an answer shows,
`If-None-Match` answered 304 before any listing query or rendering, `If-Match` checked
before a write (412 when the resource changed since the client read it).

The ETags are strong: an answer's bytes are a function of the counters, the request's URL,
the viewer and the release, so equal tags mean equal bodies; and `If-Match` compares
strongly (RFC 9110 13.1.1), so weak tags could never guard a write.
"""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache

from fastapi import Request, Response
from sqlmodel import Session

from app import __version__
from app.models import Comment, Post
from app.services import DomainError, changes


class NotModified(Exception):  # noqa: N818 - named for the status it answers
    """The client's copy is current: answer 304 with `etag` (and `last_modified`) and no body."""

    def __init__(self, etag: str, last_modified: str | None = None) -> None:
        super().__init__(etag)
        self.etag = etag
        self.last_modified = last_modified


class PreconditionFailed(DomainError):
    status_code = 412


CHANGED = (
    "It changed since you read it (its ETag is no longer the one in If-Match): read it "
    "again, then send your change."
)


def etag(session: Session, *scopes: str, key: str, viewer_id: int | None = None) -> str:
    """The validator of the answer `key` (a resource kind, or a listing's URL) for
    `viewer_id`, from the counters of `scopes`."""
    return validators(session, *scopes, key=key, viewer_id=viewer_id)[0]


def validators(
    session: Session, *scopes: str, key: str, viewer_id: int | None = None
) -> tuple[str, datetime | None]:
    """`etag`, and when the latest of `scopes` last changed (a Last-Modified): one read."""
    counters, changed_at = changes.state(session, changes.EPOCH, *scopes)
    return tag_for(key, viewer_id, scopes, counters), changed_at


@lru_cache(maxsize=4096)  # a kept page's 304 asks again for the same tag, until it changes
def tag_for(key: object, viewer_id: int | None, scopes: object, counters: object) -> str:
    """`etag` from counters already read (pages read them without an ORM session)."""
    seed = repr((__version__, key, viewer_id, scopes, counters)).encode()
    return '"' + hashlib.blake2b(seed, digest_size=12).hexdigest() + '"'


def listing_key(request: Request) -> str:
    return f"{request.url.path}?{request.url.query}"


def post_etag(session: Session, post: Post) -> str:
    """A post as GET /api/posts/{id} shows it: its text, votes and comment count, and whether
    its author's account may still be seen."""
    return etag(session, changes.post(post.id), changes.user(post.owner_id), key="post")


def comment_etag(session: Session, comment: Comment, viewer_id: int | None) -> str:
    """A comment as the API shows it to `viewer_id` (whose own vote it says)."""
    scopes = (changes.comment(comment.id), changes.user(comment.author_id))
    return etag(session, *scopes, key="comment", viewer_id=viewer_id)


def _names(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def fresh(request: Request, tag: str) -> bool:
    """Whether the client's `If-None-Match` already names `tag` (compared weakly:
    W/"x" names the same version as "x")."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    names = {name.removeprefix("W/") for name in _names(header)}
    return "*" in names or tag in names


@lru_cache(maxsize=256)  # every poll of a feed until it changes formats the same moment
def http_date(moment: datetime) -> str:
    """`moment` as a Last-Modified says it."""
    # PostgreSQL's +00:00 is not the UTC object format_datetime's GMT form insists on.
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def answer(
    request: Request, response: Response, tag: str, last_modified: datetime | None = None
) -> None:
    """Send `tag` as the ETag (and `last_modified`); NotModified if the client's
    `If-None-Match` already has it.

    If-Modified-Since is never the reason for a 304: two changes in one second share a date,
    and only the ETag tells them apart.
    """
    response.headers["ETag"] = tag
    stamp = None
    if last_modified is not None:
        stamp = http_date(last_modified)
        response.headers["Last-Modified"] = stamp
    if fresh(request, tag):
        raise NotModified(tag, stamp)


def guard(request: Request, session: Session, current: Callable[[], str]) -> None:
    """Before a write: PreconditionFailed unless `If-Match` (if sent) names the `current()`
    ETag or `*`.

    The site's counter is held first, until the write commits: every write that changes
    content bumps it, so none slips in between check and change.
    """
    header = request.headers.get("if-match")
    if header is None:
        return
    changes.hold(session, changes.SITE)
    names = _names(header)
    if "*" not in names and current() not in names:  # strong: a W/ tag never matches
        raise PreconditionFailed(CHANGED)
