"""Login throttling per account and per client IP, counted in the database.

Keeping the counters in the database (not process memory) means every worker process, and
every machine behind a load balancer, sees the same count. Locks are temporary and grow with
repeated failures, so an attacker can slow an account down but never lock its owner out for good.
"""

import ipaddress
import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings
from app.models import LoginThrottle
from app.services import Throttled, users

WINDOW = timedelta(minutes=15)
# Unlocked counters untouched this long are forgotten (swept on the next failure).
FORGET_AFTER = timedelta(days=1)


def _account_key(session: Session, login: str) -> str:
    """One counter per account, whichever name it is tried under (email or username)."""
    # NUL cannot be stored in PostgreSQL text; dropping it also keeps "alice\0" counting as alice.
    login = login.replace("\x00", "")
    user = users.get_by_login(session, login)
    if user is not None:
        return f"acct:id:{user.id}"
    # Unknown names get counters too, so a lock says nothing about whether an account exists.
    return "acct:name:" + login.strip().lower()[:250]


def _ip_key(ip: str) -> str:
    """One counter per IPv4 address, or per IPv6 /64 (one household or server holds a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "ip:" + ip.replace("\x00", "")[:64]
    if address.version == 6:
        return "ip:" + str(ipaddress.ip_network(f"{address}/64", strict=False))
    return "ip:" + str(address)


def _keys(session: Session, login: str, ip: str) -> list[tuple[str, str]]:
    return [("acct", _account_key(session, login)), ("ip", _ip_key(ip))]


def check(*, session: Session, login: str, ip: str) -> None:
    """Raise Throttled if the account or the IP is locked right now."""
    now = datetime.now(UTC)
    keys = [key for _, key in _keys(session, login, ip)]
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
    """Count one failed login against the account and the IP, locking either past its limit."""
    keys = _keys(session, login, ip)
    for attempt in range(2):
        try:
            _count_failure(session, settings, keys)
            return
        except IntegrityError:
            # Another worker created the same counter first (PostgreSQL); count again on it.
            session.rollback()
            if attempt:
                raise


def _count_failure(session: Session, settings: Settings, keys: list[tuple[str, str]]) -> None:
    now = datetime.now(UTC)
    limits = {"acct": settings.login_max_failures_account, "ip": settings.login_max_failures_ip}
    names = [key for _, key in keys]
    # Take the write lock before reading, so concurrent failures from several workers are all
    # counted (a plain read-then-write would let parallel guesses overwrite each other's count).
    session.exec(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_(names))  # type: ignore[attr-defined]
        .values(failures=LoginThrottle.failures)
    )
    session.exec(
        delete(LoginThrottle).where(
            LoginThrottle.window_start < now - FORGET_AFTER,  # type: ignore[arg-type]
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),  # type: ignore[union-attr,operator]
        )
    )
    for scope, key in keys:
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        elif now - row.window_start > WINDOW and not (row.locked_until and row.locked_until > now):
            row.failures, row.window_start = 0, now
        row.failures += 1
        over = row.failures - limits[scope]
        if over >= 0:
            seconds = min(
                settings.login_lock_seconds * 2 ** min(over, 20), settings.login_lock_max_seconds
            )
            row.locked_until = now + timedelta(seconds=seconds)
            row.window_start = now
        session.flush()
    session.commit()


def record_success(*, session: Session, login: str) -> None:
    key = _account_key(session, login)
    session.exec(delete(LoginThrottle).where(LoginThrottle.key == key))  # type: ignore[call-overload,arg-type]
    session.commit()


def _human(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
