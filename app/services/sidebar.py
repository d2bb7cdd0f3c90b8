"""The feed's side column: the tags of the newest posts and the most followed people, the same
for everyone.

Both are counts over many rows, far too dear for every feed view, so they are kept per
database for `TTL` seconds; after that one read of the SITE change counter (app.services.changes)
says whether anything changed, and only then are they counted again. A feed view within the TTL
runs no statement for them at all. Why and what it costs: docs/performance.md, "The side column".
"""

import threading
import time
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.models import ChangeCounter, Follow, User
from app.services import changes, tags
from app.services.users import AVAILABLE

TTL = 30.0
TAGS = 8
PEOPLE = 5


@dataclass(frozen=True, eq=False)  # one per count: the pages keep its HTML by identity
class Side:
    tags: list[tags.Listed]
    people: list[Any]  # rows of username, bio, followers


@dataclass
class _Kept:
    side: Side
    counter: int
    until: float


_kept: "WeakKeyDictionary[Engine, _Kept]" = WeakKeyDictionary()
_lock = threading.Lock()


def _counter(engine: Engine) -> int:
    stmt = select(ChangeCounter.counter).where(col(ChangeCounter.scope) == changes.SITE)
    with engine.connect() as connection:
        return int(connection.execute(stmt).scalar() or 0)


def _people(engine: Engine) -> list[Any]:
    followers = func.count(col(Follow.follower_id)).label("followers")
    stmt = (
        select(User.username, User.bio, followers)
        .join(Follow, col(Follow.followed_id) == User.id)
        .where(AVAILABLE)
        .group_by(col(User.id), col(User.username), col(User.bio))
        .order_by(followers.desc(), col(User.username))
        .limit(PEOPLE)
    )
    with engine.connect() as connection:
        return list(connection.execute(stmt).all())


def kept(*, engine: Engine, now: float | None = None) -> Side | None:
    """The side column if it was checked less than TTL seconds ago (no statement), else None."""
    now = time.monotonic() if now is None else now
    found = _kept.get(engine)
    return found.side if found is not None and now < found.until else None


def as_of(*, engine: Engine, counter: int, now: float | None = None) -> int:
    """The SITE counter whose side column a page rendered now shows, when the site's counter
    is `counter` (no statement): the kept one within the TTL, else `counter` (it is counted
    again, or it was kept at that counter already).

    A page kept whole (app.web.shared) puts this in its key: a page rendered within the TTL
    of a write shows the column as it was before the write, and without this part of its key
    it went on showing that until the next write, however long that took."""
    now = time.monotonic() if now is None else now
    found = _kept.get(engine)
    return found.counter if found is not None and now < found.until else counter


def side(*, engine: Engine, now: float | None = None) -> Side:
    """The side column as of at most TTL seconds ago."""
    now = time.monotonic() if now is None else now
    kept = _kept.get(engine)
    if kept is not None and now < kept.until:
        return kept.side
    counter = _counter(engine)
    if kept is not None and kept.counter == counter:
        kept.until = now + TTL
        return kept.side
    fresh = Side(tags=tags.most_used(engine=engine, limit=TAGS), people=_people(engine))
    with _lock:
        _kept[engine] = _Kept(fresh, counter, now + TTL)
    return fresh
