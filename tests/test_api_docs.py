"""The OpenAPI document and the /docs and /redoc pages, which must work with no internet."""

import re

import pytest

from tests.test_security_headers import PINNED_CSP

MAX_ID = 2**63 - 1


@pytest.fixture
def document(api) -> dict:  # type: ignore[type-arg]
    response = api.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def operations(document: dict):  # type: ignore[no-untyped-def,type-arg]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_document_describes_the_api(document):
    info = document["info"]
    assert info["title"] == "Agora API"
    assert info["version"]
    assert "Bearer" in info["description"]
    assert [tag["name"] for tag in document["tags"]] == [
        "auth",
        "users",
        "accounts",
        "posts",
        "votes",
        "follows",
        "blocks",
        "comments",
        "notifications",
        "tags",
        "bookmarks",
        "reports",
    ]
    assert all(tag["description"] for tag in document["tags"])


def test_document_lists_every_api_route_and_no_page(document):
    routes = {(path, method) for path, method, _ in operations(document)}
    assert routes == {
        ("/api/token", "post"),
        ("/api/token", "delete"),
        ("/api/users", "post"),
        ("/api/users/me", "get"),
        ("/api/users/{username}", "get"),
        ("/api/password/forgot", "post"),
        ("/api/password/reset", "post"),
        ("/api/email/verify", "post"),
        ("/api/email/resend", "post"),
        ("/api/posts", "get"),
        ("/api/posts", "post"),
        ("/api/posts/{post_id}", "get"),
        ("/api/posts/{post_id}", "put"),
        ("/api/posts/{post_id}", "patch"),
        ("/api/posts/{post_id}", "delete"),
        ("/api/posts/{post_id}/vote", "post"),
        ("/api/posts/{post_id}/vote", "delete"),
        ("/api/users/{username}/follow", "post"),
        ("/api/users/{username}/follow", "delete"),
        ("/api/users/{username}/mute", "post"),
        ("/api/users/{username}/mute", "delete"),
        ("/api/users/{username}/block", "post"),
        ("/api/users/{username}/block", "delete"),
        ("/api/feed", "get"),
        ("/api/posts/{post_id}/comments", "get"),
        ("/api/comments", "get"),
        ("/api/posts/{post_id}/comments", "post"),
        ("/api/comments/{comment_id}", "patch"),
        ("/api/comments/{comment_id}", "delete"),
        ("/api/comments/{comment_id}/vote", "post"),
        ("/api/comments/{comment_id}/vote", "delete"),
        ("/api/notifications", "get"),
        ("/api/notifications/read", "post"),
        ("/api/notifications/settings", "get"),
        ("/api/notifications/settings", "put"),
        ("/api/tags", "get"),
        ("/api/tags/{tag}/posts", "get"),
        ("/api/tags/{tag}/follow", "post"),
        ("/api/tags/{tag}/follow", "delete"),
        ("/api/posts/{post_id}/bookmark", "post"),
        ("/api/posts/{post_id}/bookmark", "delete"),
        ("/api/bookmarks", "get"),
        ("/api/posts/{post_id}/dismiss", "post"),
        ("/api/posts/{post_id}/dismiss", "delete"),
        ("/api/reports", "post"),
        ("/api/reports", "get"),
        ("/api/reports/{report_id}/resolve", "post"),
    }


def test_every_operation_has_a_tag_a_summary_and_documented_errors(document):
    for path, method, operation in operations(document):
        assert operation["tags"] and operation["summary"], (method, path)
        assert operation["operationId"] and not operation["operationId"].startswith("api_")
        codes = set(operation["responses"])
        if operation.get("security"):
            assert "401" in codes, (method, path)
        if "401" in codes:
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_every_integer_parameter_is_bounded(document):
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if schema.get("type") == "integer":
                assert "minimum" in schema and schema.get("maximum", MAX_ID + 1) <= MAX_ID, (
                    method,
                    path,
                    parameter["name"],
                )


def test_schemas_have_examples_and_leak_nothing_private(document):
    schemas = document["components"]["schemas"]
    for name in ("UserCreate", "PostCreate", "PostReplace", "PostPatch"):
        assert schemas[name]["examples"], name
        assert schemas[name]["additionalProperties"] is False
    assert set(schemas["UserPublic"]["properties"]) == {"id", "username", "created_at"}
    assert set(schemas["Author"]["properties"]) == {"id", "username"}
    text = str(document)
    assert "password_hash" not in text and "username_key" not in text


def test_bearer_scheme_points_at_the_token_route(document):
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/token"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets_and_no_inline_script(api, page):
    response = api.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "/openapi.json" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "an asset from another site"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    for asset in re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html):
        served = api.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100, asset


def test_swagger_ui_runs_under_the_sites_strict_csp(api):
    csp = api.get("/docs").headers["content-security-policy"]
    assert csp == PINNED_CSP
    assert "unsafe-inline" not in csp


def test_redoc_relaxes_only_styles_and_workers(api):
    csp = api.get("/redoc").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["worker-src"] == "'self' blob:"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"


def test_vendored_assets_keep_their_licences(api):
    for path in (
        "/static/vendor/swagger-ui/LICENSE",
        "/static/vendor/swagger-ui/NOTICE",
        "/static/vendor/redoc/LICENSE",
    ):
        assert api.get(path).status_code == 200, path
