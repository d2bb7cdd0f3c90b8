"""Probes for load balancers and process managers: alive, and ready to serve."""

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import schema
from app.db import check_writes

router = APIRouter()
log = logging.getLogger("agora.health")


def _unavailable(reason: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)


@router.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
def healthz(request: Request) -> JSONResponse:
    """The process is up and the database answers."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("health check: the database does not answer", exc_info=True)
        return _unavailable("database unreachable")
    return JSONResponse({"status": "ok"})


@router.api_route("/readyz", methods=["GET", "HEAD"], include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    """Send traffic here: the database answers, has every migration this code needs, and takes
    writes. "read-only" (reads work, writes fail: a full disk) is told apart from "unreachable"."""
    engine = request.app.state.engine
    try:
        behind = schema.pending(engine)
    except SQLAlchemyError:
        log.warning("readiness check: the database does not answer", exc_info=True)
        return _unavailable("database unreachable")
    if behind:
        log.warning("readiness check: migrations are pending; run `agora migrate`")
        return _unavailable("migrations pending")
    try:
        check_writes(engine)
    except SQLAlchemyError:
        log.warning("readiness check: the database refuses writes", exc_info=True)
        return _unavailable("read-only")
    return JSONResponse({"status": "ready"})
