"""Change counters: one number per scope, moved by every write that changes what it shows.

A scope is what one validator covers: `SITE` (every listing), `user(id)` (an account: its
profile, its posts' feed, and whether its posts and comments may be seen), `post(id)` (a post
with its votes and comments), `comment(id)`, `tag(id)` (a tag's description). Each bump also
stamps the scope's `changed_at` (a feed's Last-Modified). Writers call `bump` in their own
transaction, so a validator changes exactly when the content does, deletions and hides
included (an update time alone misses those). Readers turn the counters into an ETag
(app.api.conditional).
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, String, bindparam, cast, literal, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db import HotQuery, KeptRead
from app.models import ChangeCounter, Comment, CommentVote, User, UTCDateTime, Vote
from app.services.validation import USERNAME_RE

SITE = "site"
# Set once when the table is made (migrations): ETags from before a downgrade never match again.
EPOCH = "epoch"


def user(user_id: int | None) -> str:
    return f"user:{user_id}"


def post(post_id: int | None) -> str:
    return f"post:{post_id}"


def comment(comment_id: int | None) -> str:
    return f"comment:{comment_id}"


def tag(tag_id: int | None) -> str:
    """What only a tag's own feed shows of it (its description); its posts are the site's."""
    return f"tag:{tag_id}"


def _upsert(dialect: Any) -> Any:
    stmt = dialect.insert(ChangeCounter)
    return stmt.on_conflict_do_update(
        index_elements=[col(ChangeCounter.scope)],
        set_={"counter": ChangeCounter.counter + 1, "changed_at": stmt.excluded.changed_at},
    )


# Built once, its values bound per row: a statement carrying the rows as literal VALUES was
# built, keyed and compiled afresh on every write (about a tenth of creating a post's CPU time).
_UPSERT = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}


def bump(session: Session, *scopes: str) -> None:
    """Move each scope's counter by one, in the caller's transaction.

    INSERT .. ON CONFLICT DO UPDATE counter = counter + 1 per scope: concurrent writers each
    add their one (never a read-modify-write that loses one). Rows are taken in one order, the
    site's first (as a conditional write locks it, app.api.conditional.guard), so two
    writers cannot deadlock on them.
    """
    ordered = sorted(set(scopes), key=lambda scope: (scope != SITE, scope))
    if not ordered:
        return
    now = datetime.now(UTC)
    rows = [{"scope": scope, "counter": 1, "changed_at": now} for scope in ordered]
    dialect = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    session.exec(_UPSERT[dialect], params=rows)


def bump_posts(session: Session, post_ids: SelectOfScalar[int]) -> None:
    """`bump` for every post `post_ids` selects (a renamed tag's posts), in one statement."""
    _bump_selected(session, "post:", post_ids)


def bump_users(session: Session, user_ids: SelectOfScalar[int]) -> None:
    """`bump` for every account `user_ids` selects (a renamed tag's authors), in one statement."""
    _bump_selected(session, "user:", user_ids)


def _bump_selected(session: Session, prefix: str, ids_query: SelectOfScalar[int]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    ids = ids_query.subquery().c[0]
    now = datetime.now(UTC)
    stamp = literal(now, type_=UTCDateTime())
    # The WHERE tells SQLite's parser that ON CONFLICT belongs to the INSERT, not a join.
    scopes = select(literal(prefix) + cast(ids, String), literal(1), stamp).where(true())
    stmt = dialect.insert(ChangeCounter).from_select(["scope", "counter", "changed_at"], scopes)
    stmt = stmt.on_conflict_do_update(
        index_elements=[col(ChangeCounter.scope)],
        set_={"counter": ChangeCounter.counter + 1, "changed_at": now},
    )
    session.exec(stmt)


def hold(session: Session, scope: str) -> None:
    """Take `scope`'s row for this transaction, as a writer would, until it ends.

    A write that changes nothing, rather than SELECT .. FOR UPDATE: on SQLite it also starts
    the transaction and takes the database's write lock, which a read never does.
    """
    session.exec(
        update(ChangeCounter)
        .where(col(ChangeCounter.scope) == scope)
        .values(counter=ChangeCounter.counter)
    )


def read(session: Session, *scopes: str) -> tuple[int, ...]:
    """The scopes' counters, in order (0 for one never bumped)."""
    return state(session, *scopes)[0]


def state(session: Session, *scopes: str) -> tuple[tuple[int, ...], datetime | None]:
    """The scopes' counters, in order (0 for one never bumped), and when the latest of them
    moved (None if none has): one read."""
    query = select(ChangeCounter.scope, ChangeCounter.counter, ChangeCounter.changed_at).where(
        col(ChangeCounter.scope).in_(scopes)
    )
    found = {scope: (counter, at) for scope, counter, at in session.exec(query).all()}
    counters = tuple(found[scope][0] if scope in found else 0 for scope in scopes)
    times = [at for _, at in found.values() if at is not None]
    return counters, max(times, default=None)


# Every anonymous page and 304 asks for these first: kept until the next commit (KeptRead).
_SITE_READ = KeptRead(
    HotQuery(
        # Two equalities, not IN: a HotQuery binds plain values only.
        select(ChangeCounter.scope, ChangeCounter.counter, ChangeCounter.changed_at).where(
            (col(ChangeCounter.scope) == EPOCH) | (col(ChangeCounter.scope) == SITE)
        )
    )
)


def site(engine: Engine) -> tuple[int, int]:
    """The epoch's and the site's counters, read without an ORM session (the hot pages')."""
    return site_state(engine)[0]


def site_state(engine: Engine) -> tuple[tuple[int, int], datetime | None]:
    """`state(session, EPOCH, SITE)` without an ORM session: the epoch's and the site's
    counters, and when the later of them moved."""
    found = {row.scope: row for row in _SITE_READ.rows(engine)}
    counters = tuple(found[scope].counter if scope in found else 0 for scope in (EPOCH, SITE))
    times = [row.changed_at for row in found.values() if row.changed_at is not None]
    return (counters[0], counters[1]), max(times, default=None)


# The account's row by its unique name key, then its counter by primary key: one read that
# needs no id, so a page named by username can tell its version before its route runs.
_USER_BY_NAME_READ = HotQuery(
    select(ChangeCounter.counter)
    .join(User, col(ChangeCounter.scope) == literal("user:") + cast(User.id, String))
    .where(col(User.username_key) == bindparam("username_key"))
)


def user_by_name(engine: Engine, username: str) -> int:
    """`read(session, user(id))` for the account called `username` (any case), without an
    ORM session; 0 for a name nobody has or an account never bumped."""
    if not USERNAME_RE.fullmatch(username):  # never a name (users.get_by_username): no read
        return 0
    rows = _USER_BY_NAME_READ.rows(engine, {"username_key": username.lower()})
    return rows[0].counter if rows else 0


def touched_by(session: Session, user_id: int) -> Iterable[str]:
    """The posts and comments whose counts hold an account's votes and comments."""
    voted = session.exec(select(Vote.post_id).where(Vote.user_id == user_id)).all()
    commented = session.exec(
        select(Comment.post_id).where(Comment.author_id == user_id).distinct()
    ).all()
    liked = session.exec(select(CommentVote.comment_id).where(CommentVote.user_id == user_id)).all()
    return [
        *(post(post_id) for post_id in {*voted, *commented}),
        *(comment(comment_id) for comment_id in liked),
    ]
