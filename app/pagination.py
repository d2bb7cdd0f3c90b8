"""Pagination, one way for every list: numbered pages, keyset cursors, and the pager's links.

Services cut lists into a `Page` (numbered) or a `Window` (continued from a cursor); views turn
either into a `Pager` of ready-made URLs for the `pager` macro in templates/_macros.html.
"""

import binascii
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from app.models import MAX_ID

PAGE_SIZE = 20
MAX_PAGE = 10_000


def page_number(page: int) -> int:
    """The page to show for a requested number: 1 to MAX_PAGE."""
    return max(1, min(page, MAX_PAGE))


def bounds(page: int, size: int = PAGE_SIZE) -> dict[str, int]:
    """`limit` and `offset` for page `page` (as `page_number` reads it), with one row more than
    the page holds: that row tells whether a next page exists."""
    return {"limit": size + 1, "offset": (page_number(page) - 1) * size}


@dataclass(frozen=True)
class Page:
    """One numbered page of a list."""

    items: list[Any]
    number: int
    has_next: bool

    @classmethod
    def of(cls, rows: Sequence[Any], page: int, size: int = PAGE_SIZE) -> "Page":
        """The page from rows read with `bounds(page, size)`."""
        return cls(items=list(rows[:size]), number=page_number(page), has_next=len(rows) > size)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def past_end(self) -> bool:
        """A page asked for beyond the last one: nothing on it, though the list may have rows."""
        return not self.items and self.number > 1


def paginate(session: Any, stmt: Any, page: int, size: int = PAGE_SIZE) -> Page:
    """One page of an ORM statement's rows (the admin lists)."""
    limits = bounds(page, size)
    rows = session.exec(stmt.limit(limits["limit"]).offset(limits["offset"])).all()
    return Page.of(rows, page, size)


# --- keyset cursors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """A place in a newest-first list: the (created_at, id) of the last post seen."""

    created_at: datetime
    id: int


# Where a list continues: a Position in newest-first lists, an offset into ranked results.
Cursor = Position | int

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(cursor: Cursor) -> str:
    """An opaque text for a place in a list, for links and the API's `next_cursor`."""
    if isinstance(cursor, int):
        raw = f"o{cursor}"
    else:
        raw = f"{(cursor.created_at - EPOCH) // timedelta(microseconds=1)}:{cursor.id}"
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The place `encode_cursor` wrote into `text`; ValueError for anything else."""
    try:
        raw = urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        if raw.startswith("o"):
            offset = int(raw[1:])
            if not 0 <= offset <= MAX_ID:
                raise ValueError("offset out of range")
            return offset
        micros, post_id = (int(part) for part in raw.split(":"))
        if not 1 <= post_id <= MAX_ID:
            raise ValueError("id out of range")
        return Position(EPOCH + timedelta(microseconds=micros), post_id)
    except (OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc


@dataclass(frozen=True)
class Window:
    """Up to `limit` items, and where the next window starts (None after the last one)."""

    items: list[Any]
    next: Cursor | None

    @classmethod
    def of(cls, rows: Sequence[Any], limit: int, next_at: Any) -> "Window":
        """The window from `limit + 1` rows; `next_at(last_item)` is the cursor to go on from."""
        items = list(rows[:limit])
        return cls(items, next_at(items[-1]) if len(rows) > limit else None)


def after_post(row: Any) -> Position:
    """The position just past `row` in a newest-first list."""
    return Position(row.created_at, row.id)


# --- the pager's links ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pager:
    """What the `pager` macro shows, every URL computed by the view.

    Lists in time order, newest first, say Newer / Older (`by_time`); ranked or sortable ones
    (search, Top, the admin tables) say Previous / Next. Keyset lists cannot step back a page:
    they offer `newest_url` (their start) instead of `prev_url`.
    """

    first_url: str
    prev_url: str | None = None
    next_url: str | None = None
    newest_url: str | None = None
    number: int | None = None
    by_time: bool = True
    past_end: bool = False


def page_url(path: str, params: Mapping[str, Any], number: int) -> str:
    """`path` with `params` (empty values left out) and the page number."""
    query = {key: value for key, value in params.items() if value not in ("", None)}
    return f"{path}?{urlencode({**query, 'page': number})}"


def numbered(
    page: Page, path: str, params: Mapping[str, Any] | None = None, *, by_time: bool = True
) -> Pager:
    """The pager of a numbered list at `path` whose other query parameters are `params`."""
    params = params or {}
    return Pager(
        first_url=page_url(path, params, 1),
        prev_url=page_url(path, params, page.number - 1) if page.has_prev else None,
        next_url=page_url(path, params, page.number + 1) if page.has_next else None,
        number=page.number,
        by_time=by_time,
        past_end=page.past_end,
    )


def keyset(window: Window, path: str, *, param: str, first: bool) -> Pager:
    """The pager of a list continued by cursor (`path?{param}=cursor`); `first`: at its start."""
    return Pager(
        first_url=path,
        next_url=(
            f"{path}?{urlencode({param: encode_cursor(window.next)})}"
            if window.next is not None
            else None
        ),
        newest_url=None if first else path,
        past_end=not window.items and not first,
    )
