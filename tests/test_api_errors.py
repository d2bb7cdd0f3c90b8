"""Errors: always JSON `{"detail": ...}` under /api, always an HTML page everywhere else."""

import pytest
from fastapi.testclient import TestClient

from app.services import feeds

SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy")


def assert_json_error(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert "detail" in response.json()
    assert "<html" not in response.text
    if status != 500:  # 500s are sent by Starlette's outermost middleware, outside ours
        for header in SECURITY_HEADERS:
            assert header in response.headers


def test_unknown_api_path_is_404_json(api):
    for path in ("/api", "/api/", "/api/nothing", "/api/posts/1/comments"):
        assert_json_error(api.get(path), 404)
    assert api.get("/api/nothing").json() == {"detail": "Not found."}


def test_wrong_method_is_405_json_with_allow(alice_api):
    response = alice_api.put("/api/posts", json={})
    assert_json_error(response, 405)
    # Starlette names the methods of the first route on the path (GET here), not every route's.
    assert "GET" in response.headers["allow"]
    assert_json_error(alice_api.get("/api/posts/1/vote"), 405)


def test_server_error_is_500_json_without_a_trace(app, monkeypatch):
    def broken(**_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(feeds, "search", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/posts")
        assert_json_error(response, 500)
        assert response.json() == {"detail": "Internal server error. It has been logged."}
        assert "secret internals" not in response.text
        page = client.get("/")  # the feed page does not use search(): still fine
        assert page.status_code == 200


def test_page_server_error_stays_html(app, monkeypatch):
    def broken(**_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(feeds, "feed", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "secret internals" not in response.text


def test_oversized_api_body_is_413_json(alice_api, settings):
    response = alice_api.post(
        "/api/posts",
        content=b"x" * (settings.max_body_bytes + 1),
        headers={"content-type": "application/json"},
    )
    assert_json_error(response, 413)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/nothing", 404), ("/posts/abc", 400), ("/posts/99", 404), ("/users/nobody", 404)],
)
def test_pages_never_answer_json_errors(browser, path, status):
    response = browser.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text and '"detail"' not in response.text


def test_page_405_and_413_stay_html(alice, settings):
    response = alice.client.put("/posts/new")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    response = alice.client.post(
        "/posts",
        content=b"x" * (settings.max_body_bytes + 1),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")


def test_a_page_cookie_on_an_api_error_still_gets_json(alice):
    """A logged-in browser that wanders into /api gets the API's answers, not pages."""
    assert_json_error(alice.get("/api/posts/999"), 404)
    assert_json_error(alice.get("/api/users/me"), 401)
