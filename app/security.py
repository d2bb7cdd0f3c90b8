"""All of Agora's cryptography: password hashes, session tokens, CSRF tokens, signed cookies.

Nothing here is hand-rolled crypto: bcrypt through passlib, JWTs through PyJWT, HMAC from the
standard library, signed values through itsdangerous.
"""

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from itsdangerous import BadSignature, URLSafeTimedSerializer
from passlib.context import CryptContext
from starlette.requests import Request
from starlette.responses import Response

JWT_ALGORITHM = "HS256"
BCRYPT_MAX_BYTES = 72
PRESESSION_MAX_AGE = 2 * 60 * 60


# --- passwords ------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _crypt_context(rounds: int) -> CryptContext:
    return CryptContext(schemes=["bcrypt"], bcrypt__rounds=rounds, deprecated="auto")


def _background_priority() -> None:
    # On Linux the nice value belongs to each thread: only these threads yield to the rest.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# bcrypt runs here, never on the event loop or in the request threads themselves. Its threads
# run at a lower CPU priority, so a burst of logins (~0.25 s of CPU each at cost 12) waits for
# the pages being served instead of slowing them down; at most two hash at once per process.
_hashing = ThreadPoolExecutor(
    max_workers=2, thread_name_prefix="bcrypt", initializer=_background_priority
)


def hash_password(password: str, rounds: int) -> str:
    """A bcrypt hash with a fresh salt. Callers validate the 72-byte limit first."""
    return _hashing.submit(_crypt_context(rounds).hash, password).result()


def verify_password(password: str, password_hash: str, rounds: int) -> bool:
    """Check a password in constant time; passwords bcrypt cannot take simply fail."""
    if len(password.encode()) > BCRYPT_MAX_BYTES:
        return False
    return _hashing.submit(_verify, password, password_hash, rounds).result()


def _verify(password: str, password_hash: str, rounds: int) -> bool:
    try:
        return _crypt_context(rounds).verify(password, password_hash)
    except ValueError:
        return False


@lru_cache(maxsize=4)
def dummy_hash(rounds: int) -> str:
    """A hash to check against when the account does not exist, so both paths cost the same."""
    return hash_password(secrets.token_urlsafe(16), rounds)


# --- session tokens (JWT) -------------------------------------------------------------------


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    jti: str
    typ: str
    expires_at: datetime


def session_handle(jti: str) -> str:
    """A public name for a session, used by the forms that end one; the jti stays in the token."""
    return hashlib.sha256(b"session:" + jti.encode()).hexdigest()[:32]


def encode_token(*, user_id: int, jti: str, typ: str, lifetime: timedelta, key: str) -> str:
    """Sign a token; `typ` tells a page cookie ("web") from an API bearer token ("api")."""
    now = datetime.now(UTC)
    payload = {"sub": str(user_id), "jti": jti, "typ": typ, "iat": now, "exp": now + lifetime}
    return jwt.encode(payload, key, algorithm=JWT_ALGORITHM)


def decode_token(token: str, *, key: str, typ: str) -> TokenClaims | None:
    """Verified claims, or None if missing, expired, forged, malformed or of another typ."""
    if not token or len(token) > 2048:
        return None
    try:
        claims = _verified_claims(token, key)
    except InvalidToken:
        return None
    if claims.typ != typ or claims.expires_at <= datetime.now(UTC):
        return None
    return claims


class InvalidToken(Exception):
    """A token PyJWT refused, or whose claims are not ours."""


# A logged-in visitor sends the same token with every request; checking its signature again each
# time cost more than the page's query. A verified token's claims never change, so they are kept
# (expiry is still checked on every use, above). Only successes are cached: an exception is
# never cached by lru_cache, so forged tokens are refused by PyJWT every time.
@lru_cache(maxsize=2048)
def _verified_claims(token: str, key: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "typ"]},
        )
        user_id = int(payload["sub"])
        jti = payload["jti"]
        typ = payload["typ"]
        if not isinstance(jti, str) or not 0 < len(jti) <= 64 or not 0 < user_id < 2**63:
            raise InvalidToken()
        if not isinstance(typ, str):
            raise InvalidToken()
        return TokenClaims(user_id, jti, typ, datetime.fromtimestamp(payload["exp"], UTC))
    except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidToken() from exc


# --- CSRF -----------------------------------------------------------------------------------


@lru_cache(maxsize=4096)  # a page with forms asks for its visitor's token on every view
def csrf_token_for(binding: str, key: str) -> str:
    """A CSRF token bound to one session (its jti) or one pre-session nonce."""
    return hmac.new(key.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_token_valid(token: str, binding: str, key: str) -> bool:
    return bool(token) and hmac.compare_digest(token, csrf_token_for(binding, key))


def is_cross_site(request: Request) -> bool:
    """True when the browser says the request came from another site (Fetch Metadata, Origin)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    expected = f"{request.url.scheme}://{request.url.netloc}"
    return origin != expected


# --- signed cookie values (pre-session nonce, flash messages) -------------------------------


def _serializer(key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=salt)


def sign_value(value: Any, *, key: str, salt: str) -> str:
    return _serializer(key, salt).dumps(value)


def unsign_value(signed: str | None, *, key: str, salt: str, max_age: int) -> Any:
    if not signed or len(signed) > 3000:
        return None
    try:
        return _serializer(key, salt).loads(signed, max_age=max_age)
    except BadSignature:
        return None


def token_hash(token: str) -> str:
    """What is stored of a token in a link (a reset, an invite, a feed): its SHA-256, so a
    copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_nonce() -> str:
    """A fresh unguessable value: a session's jti, a pre-session's id."""
    return secrets.token_urlsafe(24)


# --- cookies --------------------------------------------------------------------------------


def is_https(request: Request) -> bool:
    # The scheme uvicorn set (from X-Forwarded-Proto when the proxy is trusted); reading it from
    # the scope skips building request.url, on every request that reads a cookie.
    return request.scope.get("scheme") == "https"


def cookie_name(request: Request, base: str) -> str:
    """Over HTTPS cookies carry the `__Host-` prefix, which forces Secure, Path=/ and no Domain."""
    return f"__Host-{base}" if is_https(request) else base


def set_cookie(
    response: Response, request: Request, base: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        cookie_name(request, base),
        value,
        max_age=max_age,
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, request: Request, base: str) -> None:
    response.delete_cookie(
        cookie_name(request, base),
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def read_cookie(request: Request, base: str) -> str | None:
    return request.cookies.get(cookie_name(request, base))
