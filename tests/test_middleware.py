"""One structured log line per request, with a request id the client can quote back to us."""

import json
import logging
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from app.logs import JsonFormatter

HEX_ID = re.compile(r"[0-9a-f]{32}")


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "agora.request"]


def test_one_line_per_request_with_its_id(browser, caplog):
    caplog.set_level(logging.INFO, logger="agora")
    response = browser.get("/users/nobody")
    (line,) = request_lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", "/users/nobody", 404)
    assert isinstance(line.duration_ms, float) and 0 <= line.duration_ms < 10_000
    assert HEX_ID.fullmatch(line.request_id)
    assert response.headers["x-request-id"] == line.request_id

    entry = json.loads(JsonFormatter().format(line))  # what the servers write to stderr
    assert entry["msg"] == "request" and entry["level"] == "info"
    assert {k: entry[k] for k in ("method", "path", "status", "request_id")} == {
        "method": "GET",
        "path": "/users/nobody",
        "status": 404,
        "request_id": line.request_id,
    }


@pytest.mark.parametrize(
    "created",
    # Within a second, its last microsecond (rounded up into the next), and back again.
    [1764878400.0, 1764878400.1234, 1764878400.9999996, 1764878401.0004999, 1764878399.5],
)
def test_each_line_says_when_its_record_was_made(created):
    record = logging.makeLogRecord({"name": "agora", "msg": "hello", "created": created})
    entry = json.loads(JsonFormatter().format(record))
    made = datetime.fromtimestamp(created, UTC)
    assert entry["ts"] == made.isoformat(timespec="milliseconds")
    assert datetime.fromisoformat(entry["ts"]) == made.replace(
        microsecond=made.microsecond // 1000 * 1000
    )


def test_incoming_request_id_is_kept_and_echoed(browser, caplog):
    caplog.set_level(logging.INFO, logger="agora")
    response = browser.get("/", headers={"X-Request-ID": "lb-7f3a.42:req"})
    assert response.headers["x-request-id"] == "lb-7f3a.42:req"
    assert request_lines(caplog)[-1].request_id == "lb-7f3a.42:req"


@pytest.mark.parametrize(
    "bad", ['"><script>alert(1)</script>', "a" * 129, "id with spaces", "ünïcode", ""]
)
def test_unsafe_request_id_is_replaced(browser, caplog, bad):
    caplog.set_level(logging.INFO, logger="agora")
    response = browser.get("/", headers={"X-Request-ID": bad.encode()})
    assert HEX_ID.fullmatch(response.headers["x-request-id"])
    assert request_lines(caplog)[-1].request_id == response.headers["x-request-id"]


def test_refusals_before_the_app_are_logged_too(app, caplog):
    caplog.set_level(logging.INFO, logger="agora")
    limit = app.state.settings.max_body_bytes
    with TestClient(app) as client:
        response = client.post("/posts", content=b"x" * (limit + 1))
    assert response.status_code == 413
    assert request_lines(caplog)[-1].status == 413


def test_server_error_logged_with_traceback_and_id_never_shown(app, caplog):
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    caplog.set_level(logging.INFO, logger="agora")
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "trace-me-1"})
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "trace-me-1"

    (error,) = [r for r in caplog.records if r.name == "agora.errors"]
    entry = json.loads(JsonFormatter().format(error))
    assert entry["level"] == "error" and entry["request_id"] == "trace-me-1"
    assert "RuntimeError: secret internals" in entry["exc"] and "Traceback" in entry["exc"]
    assert request_lines(caplog)[-1].status == 500
