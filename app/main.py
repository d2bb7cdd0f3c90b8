"""The application factory: settings, database, middleware, routers, error pages."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import __version__, schema, templating
from app.api import accounts as api_accounts
from app.api import auth as api_auth
from app.api import blocks as api_blocks
from app.api import comments as api_comments
from app.api import docs as api_docs
from app.api import follows as api_follows
from app.api import known_query_only
from app.api import notifications as api_notifications
from app.api import posts as api_posts
from app.api import reports as api_reports
from app.api import tags as api_tags
from app.api import users as api_users
from app.api import votes as api_votes
from app.config import PROJECT_DIR, ConfigError, Settings, load_settings
from app.db import make_engine
from app.middleware import (
    ApiCorsMiddleware,
    BodySizeLimitMiddleware,
    DbSessionMiddleware,
    FormEncodingMiddleware,
    HeadMiddleware,
    NulByteMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
    UnhandledErrorMiddleware,
)
from app.services import admin, outbox
from app.web import account as web_account
from app.web import account_self as web_account_self
from app.web import admin as web_admin
from app.web import admin_posts as web_admin_posts
from app.web import auth as web_auth
from app.web import bookmarks as web_bookmarks
from app.web import comments as web_comments
from app.web import errors, health, shared, trailing_slash_redirect
from app.web import feeds as web_feeds
from app.web import invites as web_invites
from app.web import notifications as web_notifications
from app.web import posts as web_posts
from app.web import recovery as web_recovery
from app.web import reports as web_reports
from app.web import search as web_search
from app.web import seo as web_seo
from app.web import tags as web_tags
from app.web import users as web_users
from app.web.assets import Assets

log = logging.getLogger("agora")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The schema comes from `agora migrate`, never from the app: say so early if it is missing.
    try:
        if schema.pending(app.state.engine):
            log.warning("the database needs migrations: run `agora migrate` (/readyz says 503)")
    except SQLAlchemyError:
        log.warning("the database does not answer yet (/readyz says 503)", exc_info=True)
    # What is alive now (modules, routes, compiled templates) lives as long as the process:
    # freezing it means full garbage collections walk only what requests leave behind.
    gc.freeze()
    worker = None
    settings: Settings = app.state.settings
    if settings.mail_worker:
        worker = outbox.Worker(app.state.engine, settings, chores=[admin.lift_ended_in])
        worker.start()
        if outbox.mode(settings) == "held":
            log.warning("SMTP_HOST is not set: mail stays queued until it is")
    yield
    if worker is not None:
        worker.stop()
    app.state.engine.dispose()


# The page routers, the most visited first. A request tries the routes in turn until one
# matches, and with FastAPI's included routers each route that does not match costs 3–4 µs:
# `/notifications` spent about 0.4 ms (a fifth of the page) getting past 120 routes, `/` about
# 0.1 ms (docs/performance.md, "Routes in the order people visit them"). No two routes of different
# routers answer the same request (tests/test_api_conventions.py), so the order changes which
# route answers nothing, only how soon it is found. (The API's routers keep the order of its
# OpenAPI document.)
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    web_posts.router,  # the feeds and a post
    web_notifications.router,  # every member, often
    web_comments.router,
    web_users.router,
    web_tags.router,
    web_feeds.router,
    web_search.router,
    web_bookmarks.router,
    web_account_self.router,
    web_account.router,
    web_auth.router,
    web_recovery.router,
    web_invites.router,
    web_admin.router,
    web_admin_posts.router,
    web_reports.router,
    web_reports.queue_router,
    health.router,
    web_seo.router,
)

# The API's, in the order of its OpenAPI document.
API_ROUTERS: tuple[APIRouter, ...] = (
    api_auth.router,
    api_users.router,
    api_accounts.router,
    api_posts.router,
    api_votes.router,
    api_comments.router,
    api_follows.router,
    api_blocks.router,
    api_notifications.router,
    api_tags.router,
    api_reports.router,
    api_docs.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build a fully wired Agora app for `settings` (read from the environment by default)."""
    settings = settings or load_settings()
    app = FastAPI(
        title="Agora",
        version=__version__,
        description="A social posting site: accounts, posts and votes.",
        # /docs and /redoc are our own pages (app/api/docs.py): assets from static/, no CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        redirect_slashes=False,  # Starlette's copies the Host header: ours is relative
        # On the app, not each router, so every API route gets it, those added later too.
        dependencies=[Depends(known_query_only)],
        # Agora sets up no OpenTelemetry, and FastAPI's native tracing otherwise asks
        # OpenTelemetry for its global providers on every request: 4 µs of a kept page's
        # 100 (docs/performance.md). opentelemetry-instrument's own middleware still works.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.router.default = trailing_slash_redirect
    # Replacing the method is FastAPI's documented way to customise the schema.
    app.openapi = partial(api_docs.openapi_document, app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.templates = templating.environment(reload=settings.env == "development")
    app.state.engine = make_engine(settings)
    # Off while templates reload from disk (development): an edit shows at the next view.
    app.state.shared_pages = shared.SharedPages() if settings.env != "development" else None

    # Each add wraps the ones before: the headers wrap the body checks, so even a 413 or a 400
    # for a bad Host has them, and the size cap applies before the NUL and form encoding checks
    # buffer the body. Failures are answered inside the headers and the request log (so a 500
    # or 503 gets both), and outside the database sessions (closed, their work rolled back,
    # before the page).
    app.add_middleware(HeadMiddleware)  # innermost: the routes see GET, the log sees HEAD
    # Kept pages for visitors and members, before routing (app.web.shared says why it is here).
    app.add_middleware(shared.SharedPagesMiddleware)
    # Sessions close before the log line; the kept pages' reads share the request's connection.
    app.add_middleware(DbSessionMiddleware)
    app.add_middleware(FormEncodingMiddleware, render_error=errors.error_page)
    app.add_middleware(NulByteMiddleware, render_error=errors.error_page)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, render_error=errors.error_page
    )
    if settings.allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(UnhandledErrorMiddleware, handle_failure=errors.server_error)
    if settings.cors_origins:
        # Outside the failure handler, so a browser on another origin can read a 500 too.
        app.add_middleware(ApiCorsMiddleware, origins=settings.cors_origins)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)  # added last, so outermost: logs every answer

    errors.install(app)
    static = Assets(directory=PROJECT_DIR / "static", keep=settings.env != "development")
    app.mount("/static", static, name="static")

    # Pages are not part of the API: only /api routes go in the OpenAPI document.
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    for router in API_ROUTERS:
        app.include_router(router)
    return app


def _app_from_environment() -> FastAPI:
    try:
        return create_app()
    except ConfigError as exc:
        # A deployment mistake, not a bug: say what to fix in one line, without a traceback.
        raise SystemExit(f"Agora cannot start: {exc}") from None


app = _app_from_environment()
