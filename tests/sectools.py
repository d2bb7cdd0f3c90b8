"""Helpers for the security tests: who a cookie logs in as, DB snapshots, forged tokens, routes."""

import base64
import hmac
import importlib
import json
import pkgutil
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, SQLModel

import app.web
from app.auth import SESSION_COOKIE

SIGNED_IN_RE = re.compile(r"Signed in as <strong>([^<]+)</strong>")


def session_token(browser: Any) -> str:
    """The page session cookie a Browser holds (http or https name)."""
    for name in (SESSION_COOKIE, "__Host-" + SESSION_COOKIE):
        value = browser.cookies.get(name)
        if value:
            return str(value)
    raise AssertionError("no session cookie")


def claims_of(token: str) -> dict[str, Any]:
    """A token's claims, read without checking the signature (for building forgeries)."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def logged_in_as(app: FastAPI, token: str, base_url: str = "http://testserver") -> str | None:
    """Replay `token` as the only cookie of a fresh client: the username it acts as, or None."""
    https = base_url.startswith("https")
    name = ("__Host-" if https else "") + SESSION_COOKIE
    client = TestClient(app, base_url=base_url, follow_redirects=False)
    client.cookies.set(name, token)
    response = client.get("/account")
    client.close()
    assert response.status_code in (200, 303), response.status_code
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login")
        return None
    match = SIGNED_IN_RE.search(response.text)
    assert match, "account page without the signed-in name"
    return match.group(1)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A JWT assembled by hand, for headers PyJWT would refuse to produce."""
    parts = [json.dumps(header).encode(), json.dumps(claims).encode()]
    return ".".join([*(b64url(p) for p in parts), b64url(signature)])


def hmac_signed_token(
    header: dict[str, Any], claims: dict[str, Any], key: str, digest: str = "sha256"
) -> str:
    """A token whose header says anything but whose signature is an HMAC made with `key`."""
    signing_input = unsigned_token(header, claims).rsplit(".", 1)[0]
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(signature)


def fresh_claims(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`template`'s claims with a valid lifetime (and `changes`); a None value drops the claim."""
    now = datetime.now(UTC)
    claims = {**template, "iat": now, "exp": now + timedelta(hours=1)}
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}


def snapshot(db: Session, skip_tables: tuple[str, ...] = ("login_throttle",)) -> dict[str, list]:
    """Every row of every table (bar counters and last-seen times): compare before and after."""
    db.rollback()
    out: dict[str, list] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in skip_tables:
            continue
        columns = [c for c in table.columns if c.name != "last_seen_at"]
        rows = db.execute(select(*columns)).all()
        out[table.name] = sorted((tuple(row) for row in rows), key=repr)
    db.rollback()
    return out


@dataclass(frozen=True)
class FormRoute:
    path: str
    fields: tuple[str, ...]
    int_params: tuple[str, ...]
    str_params: tuple[str, ...]


def form_routes() -> list[FormRoute]:
    """Every POST route of the HTML pages (every module under app/web with a `router`)."""
    found = []
    for info in pkgutil.iter_modules(app.web.__path__):
        router = getattr(importlib.import_module(f"app.web.{info.name}"), "router", None)
        for route in getattr(router, "routes", []):
            if isinstance(route, APIRoute) and "POST" in route.methods:
                dependant = route.dependant
                params = [
                    (p.alias, p.field_info.annotation) for p in _path_params(dependant).values()
                ]
                found.append(
                    FormRoute(
                        path=route.path,
                        fields=tuple(p.alias for p in dependant.body_params),
                        int_params=tuple(name for name, kind in params if kind is int),
                        str_params=tuple(name for name, kind in params if kind is not int),
                    )
                )
    return sorted(found, key=lambda r: r.path)


def _path_params(dependant: Any) -> dict[str, Any]:
    """The route's path parameters, those its dependencies declare (post access) included."""
    found = {p.alias: p for p in dependant.path_params}
    for sub in dependant.dependencies:
        found.update(_path_params(sub))
    return found


def fill_path(route: FormRoute, post_id: int, username: str = "alice") -> str:
    path = route.path
    for name in route.int_params:
        path = path.replace("{" + name + "}", str(post_id))
    for name in route.str_params:
        path = path.replace("{" + name + "}", username)
    return path
