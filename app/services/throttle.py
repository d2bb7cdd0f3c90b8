"""Login throttling per identifier, per account and per client address, counted in the database.

Keeping the counters in the database (not process memory) means every worker process, and
every machine behind a load balancer, sees the same count. Locks are temporary and grow with
repeated failures, so an attacker can slow an account down but never lock its owner out for good.

Each attempt counts against the identifier typed (normalised), the account it names and the
client's address. It is counted *before* the password is checked, in one transaction that holds
the counters locked, so however many requests arrive at once, at most the limit of them are ever
checked per window; a success gives its count back. A lock on the identifier typed or on the
address answers 429. A lock on the account reached through another identifier answers exactly
as a wrong password would, without checking it: a 429 there would tell which identifiers (an
email, a username) belong to one account.
"""

import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import dialect_insert, engine_of
from app.models import LoginThrottle
from app.services import Throttled

WINDOW = timedelta(minutes=15)
# Unlocked counters untouched this long are forgotten (swept on the next attempt).
FORGET_AFTER = timedelta(days=1)


def utcnow() -> datetime:
    """The throttle's clock (tests replace it to move time past a window or a lock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Keys:
    """The counters one attempt counts against; `identifier` is None when nothing was typed
    (the owner confirming their password on their own account pages)."""

    identifier: str | None
    account: str | None
    ip: str


def keys(*, identifier: str | None, account_id: int | None, ip: str, scope: str = "login") -> Keys:
    """The counters of one attempt. Other actions than logging in (a reset request, a sign-up)
    count under their own `scope`, so they never lock anyone out of logging in."""
    prefix = "" if scope == "login" else scope + ":"
    return Keys(
        identifier=None if identifier is None else f"{scope}:{normalise(identifier)}",
        account=None if account_id is None else f"{prefix}acct:id:{account_id}",
        ip=prefix + _ip_key(ip),
    )


@dataclass(frozen=True)
class Policy:
    """The limits of one scope: attempts per identifier (and account) and per address within
    `window`, the refusal's words, and how long a lock lasts."""

    refusal: str
    per_identifier: int
    per_ip: int
    window: timedelta = WINDOW
    lock_seconds: int = 60
    lock_max_seconds: int = 15 * 60


def login_policy(settings: Settings) -> Policy:
    return Policy(
        refusal="Too many failed logins.",
        per_identifier=settings.login_max_failures_account,
        per_ip=settings.login_max_failures_ip,
        lock_seconds=settings.login_lock_seconds,
        lock_max_seconds=settings.login_lock_max_seconds,
    )


def normalise(identifier: str) -> str:
    """One counter per name however it is typed; NUL cannot be stored in PostgreSQL text."""
    return identifier.replace("\x00", "").strip().lower()[:250]


def plain_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, with an IPv4 client of a dual-stack socket (`::ffff:a.b.c.d`) as the IPv4
    address it is; None if it is not an address. Counting and trusting proxies both use it."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _ip_key(ip: str) -> str:
    """One counter per IPv4 address, or per IPv6 /64 (one household or server holds a whole /64).

    IPv4-mapped addresses count as IPv4, or every IPv4 client of a dual-stack socket would
    share the bucket of `::/64`.
    """
    address = plain_ip(ip)
    if address is None:
        return "ip:" + ip.replace("\x00", "")[:64]
    if isinstance(address, ipaddress.IPv6Address):
        return "ip:" + str(ipaddress.ip_network(f"{address}/64", strict=False))
    return "ip:" + str(address)


@dataclass(frozen=True)
class Reservation:
    """An attempt counted in advance. `check` is False when the account is locked: answer as
    for a wrong password without checking it. `locked` holds the keys this attempt locked."""

    keys: Keys
    check: bool
    locked: frozenset[str]


def reserve(
    *, session: Session, settings: Settings, keys: Keys, policy: Policy | None = None
) -> Reservation:
    """Count one attempt before its password is checked; raise Throttled if it may not be made."""
    policy = policy or login_policy(settings)
    now = utcnow()
    names = sorted(k for k in (keys.identifier, keys.account, keys.ip) if k is not None)
    insert = dialect_insert(engine_of(session))
    # Writing first takes SQLite's write lock before anything is read, and gives PostgreSQL a
    # row to lock for each key; the sorted order keeps two attempts from deadlocking.
    session.exec(
        insert(LoginThrottle)
        .values([{"key": name, "failures": 0, "window_start": now} for name in names])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    rows = {
        row.key: row
        for row in session.exec(
            select(LoginThrottle)
            .where(col(LoginThrottle.key).in_(names))
            .order_by(col(LoginThrottle.key))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }

    def wait(key: str | None) -> float:
        until = rows[key].locked_until if key is not None else None
        return (until - now).total_seconds() if until and until > now else 0.0

    # The owner confirming their own password has no identifier to hide: their lock is a 429.
    visible = (keys.identifier, keys.ip) if keys.identifier else (keys.account, keys.ip)
    refusals = [seconds for seconds in map(wait, visible) if seconds > 0]
    if refusals:
        session.commit()
        retry = math.ceil(max(refusals))
        raise Throttled(f"{policy.refusal} For your safety, try again in {_human(retry)}.", retry)
    check = wait(keys.account) == 0
    counted = [
        (keys.identifier, policy.per_identifier),
        # A locked account is not charged more: its lock would grow with every probe of it.
        (keys.account if check else None, policy.per_identifier),
        (keys.ip, policy.per_ip),
    ]
    locked = set()
    for key, limit in counted:
        if key is None:
            continue
        row = rows[key]
        if now - row.window_start > policy.window:
            row.failures, row.window_start = 0, now
        row.failures += 1
        over = row.failures - limit
        if over >= 0:
            seconds = min(policy.lock_seconds * 2 ** min(over, 20), policy.lock_max_seconds)
            row.locked_until = now + timedelta(seconds=seconds)
            row.window_start = now
            locked.add(key)
        session.add(row)
    session.exec(
        delete(LoginThrottle).where(
            col(LoginThrottle.window_start) < now - FORGET_AFTER,
            or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) < now),
        )
    )
    session.commit()
    return Reservation(keys=keys, check=check, locked=frozenset(locked))


def release(*, session: Session, reservation: Reservation) -> None:
    """The password was right: forget the identifier's and the account's failures, and give
    the address back the attempt it was charged (with any lock that attempt set)."""
    keys = reservation.keys
    own = [key for key in (keys.identifier, keys.account) if key is not None]
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key).in_(own)))
    values: dict[str, object] = {"failures": LoginThrottle.failures - 1}
    if keys.ip in reservation.locked:
        values["locked_until"] = None
    session.exec(
        update(LoginThrottle)
        .where(col(LoginThrottle.key) == keys.ip, col(LoginThrottle.failures) > 0)
        .values(values)
    )
    session.commit()


def _human(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
