"""Login throttling per account and per client IP, counted in the database.

Keeping the counters in the database (not process memory) means every worker process, and
every machine behind a load balancer, sees the same count. Locks are temporary and grow with
repeated failures, so an attacker can slow an account down but never lock its owner out for good.
"""

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings
from app.models import LoginThrottle
from app.services import Throttled

WINDOW = timedelta(minutes=15)


def _keys(login: str, ip: str) -> list[tuple[str, str]]:
    # NUL cannot be stored in PostgreSQL text; dropping it also keeps "alice\0" counting as alice.
    login = login.replace("\x00", "").strip().lower()[:250]
    return [("acct", "acct:" + login), ("ip", "ip:" + ip[:64])]


def check(*, session: Session, login: str, ip: str) -> None:
    """Raise Throttled if the account or the IP is locked right now."""
    now = datetime.now(UTC)
    keys = [key for _, key in _keys(login, ip)]
    rows = session.exec(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))  # type: ignore[attr-defined]
    waits = [
        (row.locked_until - now).total_seconds()
        for row in rows
        if row.locked_until and row.locked_until > now
    ]
    if waits:
        retry = math.ceil(max(waits))
        raise Throttled(
            f"Too many failed logins. For your safety, try again in {_human(retry)}.", retry
        )


def record_failure(*, session: Session, settings: Settings, login: str, ip: str) -> None:
    now = datetime.now(UTC)
    limits = {"acct": settings.login_max_failures_account, "ip": settings.login_max_failures_ip}
    for scope, key in _keys(login, ip):
        row = session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                row = session.get(LoginThrottle, key, with_for_update=True)
                assert row is not None
        if now - row.window_start > WINDOW and not (row.locked_until and row.locked_until > now):
            row.failures, row.window_start = 0, now
        row.failures += 1
        over = row.failures - limits[scope]
        if over >= 0:
            seconds = min(
                settings.login_lock_seconds * 2 ** min(over, 20), settings.login_lock_max_seconds
            )
            row.locked_until = now + timedelta(seconds=seconds)
            row.window_start = now
        session.add(row)
        session.commit()


def record_success(*, session: Session, login: str) -> None:
    key = _keys(login, "")[0][1]
    session.exec(delete(LoginThrottle).where(LoginThrottle.key == key))  # type: ignore[call-overload,arg-type]
    session.commit()


def _human(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
