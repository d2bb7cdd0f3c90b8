"""Server-side sessions: each token's `jti` has a row; deleting the row revokes the token."""

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, literal, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import HotQuery, unavailable
from app.models import AuthSession, SessionInfo, User, Viewer
from app.security import decode_token, encode_token, new_nonce, session_handle
from app.services import filters

log = logging.getLogger("agora.sessions")

# Writing last_seen on every request would turn each page view into a write; a minute is plenty.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def start(
    *, session: Session, settings: Settings, user: User, kind: str, user_agent: str = ""
) -> tuple[str, AuthSession]:
    """Open a session for `user` and return its signed token with the row."""
    assert user.id is not None
    hours = settings.session_hours if kind == "web" else settings.api_token_hours
    lifetime = timedelta(hours=hours)
    now = datetime.now(UTC)
    row = AuthSession(
        jti=new_nonce(),
        user_id=user.id,
        kind=kind,
        user_agent=user_agent[:200],
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    # Expired rows are dead weight; sweeping them on login keeps the table small without a cron.
    session.exec(delete(AuthSession).where(col(AuthSession.expires_at) < now))
    session.commit()
    token = encode_token(
        user_id=user.id, jti=row.jti, typ=kind, lifetime=lifetime, key=settings.signing_key
    )
    return token, row


# Read on every logged-in request, so a HotQuery (compiled once, plain rows): the ORM's loading
# machinery cost more than the query itself.
_SESSION_COLUMNS = (
    AuthSession.jti,
    AuthSession.user_id,
    AuthSession.kind,
    AuthSession.last_seen_at,
    AuthSession.expires_at,
    User.username,
    User.role,
    User.is_active,
    User.email_verified_at,
    filters.screens(User.id).label("screens"),
)


def reader(*extra: Any) -> HotQuery:
    """The read `resolve` runs for a token: its session and user, and `extra`, one column
    labelled "unread" (how many unread notifications the header shows)."""
    return HotQuery(
        select(*_SESSION_COLUMNS, *extra)  # type: ignore[call-overload]
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.jti == bindparam("jti"))
    )


# A read that counts nothing: an API token's. A page's read counts the header's notifications
# (app.deps.PAGE_SESSION), composed above this module: the count's visibility rule
# (app.services.inbox) reaches app.services.users, which imports this module.
UNCOUNTED = reader(literal(0).label("unread"))


def resolve(
    *,
    engine: Engine,
    settings: Settings,
    token: str | None,
    kind: str,
    read: HotQuery = UNCOUNTED,
) -> tuple[Viewer, SessionInfo, int] | None:
    """The live user and session behind a token of `kind` ("web" or "api"), or None if
    invalid, revoked or inactive; with the unread count `read` carries (0 for UNCOUNTED).
    `read` names the token's user in its count (parameter "user_id"), and the row must name
    them too, or the session is refused.

    Takes the engine, not a session: one plain read, with no ORM state to set up or clean.
    """
    if not token:
        return None
    claims = decode_token(token, key=settings.signing_key, typ=kind)
    if claims is None:
        return None
    rows = read.rows(engine, {"jti": claims.jti, "user_id": claims.user_id})
    if not rows:
        return None
    row = rows[0]
    if row.user_id != claims.user_id or row.kind != kind or row.expires_at <= datetime.now(UTC):
        return None
    if not row.is_active:
        return None
    viewer = Viewer(
        row.user_id,
        row.username,
        row.role,
        row.is_active,
        row.email_verified_at is not None,
        bool(row.screens),
    )
    info = SessionInfo(row.jti, row.user_id, row.kind, row.last_seen_at, row.expires_at)
    return viewer, info, int(row.unread)


def is_stale(row: SessionInfo) -> bool:
    """Whether `last_seen_at` is old enough to be worth a write (at most once a minute)."""
    return datetime.now(UTC) - row.last_seen_at > LAST_SEEN_RESOLUTION


# When this process last wrote each session's last_seen_at (time.monotonic()). A page open in
# many tabs, or a client with many connections, sends several requests at the moment the
# session turns stale; without this each of them wrote the same row, queueing on SQLite's
# write lock (docs/performance.md, "One last-seen write per session and minute").
_touched: dict[str, float] = {}


def claim_touch(row: SessionInfo) -> bool:
    """True for the one request (per process and minute) that should `touch` this session.

    Call from the event loop only: the check and the claim must not interleave.
    """
    if not is_stale(row):
        return False
    now = time.monotonic()
    last = _touched.get(row.jti)
    if last is not None and now - last < LAST_SEEN_RESOLUTION.total_seconds():
        return False
    if len(_touched) >= 10_000:  # a bound, not a cache: forgetting only costs a write
        _touched.clear()
    _touched[row.jti] = now
    return True


def touch(*, engine: Engine, row: SessionInfo) -> None:
    """Record that the session was just used (shown to the user on their account page).

    A courtesy, not part of the page: a database that cannot take writes now (a full disk, a
    standby) must not fail the reads it can still serve.
    """
    try:
        with engine.begin() as connection:
            connection.execute(
                update(AuthSession)
                .where(col(AuthSession.jti) == row.jti)
                .values(last_seen_at=datetime.now(UTC))
            )
    except SQLAlchemyError as exc:
        if not unavailable(exc):
            raise
        log.warning("could not record a session's last use: the database refuses writes")


def end(*, session: Session, jti: str) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.jti) == jti))
    session.commit()


def end_all_for_user(*, session: Session, user_id: int, keep_jti: str | None = None) -> int:
    """End every session of a user (but `keep_jti`); used on password change and suspension."""
    stmt = delete(AuthSession).where(col(AuthSession.user_id) == user_id)
    if keep_jti:
        stmt = stmt.where(col(AuthSession.jti) != keep_jti)
    result = session.exec(stmt)
    session.commit()
    return int(result.rowcount or 0)


def list_for_user(*, session: Session, user_id: int) -> list[AuthSession]:
    now = datetime.now(UTC)
    return list(
        session.exec(
            select(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.expires_at > now)
            .order_by(col(AuthSession.last_seen_at).desc())
        )
    )


def end_by_handle(*, session: Session, user_id: int, handle: str) -> bool:
    """End one of `user_id`'s sessions named by its public handle; False if there is none."""
    for row in list_for_user(session=session, user_id=user_id):
        if session_handle(row.jti) == handle:
            end(session=session, jti=row.jti)
            return True
    return False
