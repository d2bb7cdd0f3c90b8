"""CORS: other origins may call /api (bearer tokens only, never credentials), never pages."""

import pytest
from fastapi.testclient import TestClient

from app.config import ConfigError, Settings

ALLOWED = "https://app.example"


def preflight(client: TestClient, url: str, origin: str, method: str = "POST"):  # type: ignore[no-untyped-def]
    return client.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.fixture
def cors_client(make_app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(make_app(cors_origins=[ALLOWED, "https://other.example"]))


def test_preflight_from_an_allowed_origin_is_answered(cors_client: TestClient) -> None:
    response = preflight(cors_client, "/api/posts", ALLOWED)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_from_a_refused_origin_gets_no_permission(cors_client: TestClient) -> None:
    response = preflight(cors_client, "/api/posts", "https://evil.example")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_api_answers_carry_the_origin_and_expose_the_paging_headers(
    cors_client: TestClient,
) -> None:
    response = cors_client.get("/api/posts", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "link" in exposed and "etag" in exposed
    assert "access-control-allow-credentials" not in response.headers
    refused = cors_client.get("/api/posts", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers


def test_errors_carry_the_origin_too(cors_client: TestClient) -> None:
    response = cors_client.get("/api/posts/999", headers={"Origin": ALLOWED})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == ALLOWED


@pytest.mark.parametrize("url", ["/", "/login", "/register", "/posts/new", "/docs"])
def test_pages_carry_no_cors_headers(cors_client: TestClient, url: str) -> None:
    for response in (
        cors_client.get(url, headers={"Origin": ALLOWED}),
        preflight(cors_client, url, ALLOWED),
    ):
        assert not any(key.startswith("access-control-") for key in response.headers), url


def test_any_origin_with_a_star_still_without_credentials(make_app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(make_app(cors_origins=["*"]))
    response = preflight(client, "/api/posts/1", "https://anywhere.example", method="PATCH")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_by_default_no_other_origin_is_allowed(api) -> None:  # type: ignore[no-untyped-def]
    response = preflight(api.client, "/api/posts", ALLOWED)
    assert "access-control-allow-origin" not in response.headers
    response = api.get("/api/posts", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers


def test_the_setting_reads_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://B.example:8443")
    assert Settings(_env_file=None).cors_origins == [  # type: ignore[call-arg]
        "https://a.example",
        "https://b.example:8443",
    ]


@pytest.mark.parametrize("bad", ["app.example", "https://app.example/path", "javascript:x"])
def test_a_value_that_is_not_an_origin_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    from app.config import load_settings

    monkeypatch.setenv("CORS_ORIGINS", bad)
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        load_settings()
