"""SECURITY.md rows 28-32: the secret key, security headers, escaping and allowed hosts."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import templating
from app.config import PROJECT_DIR, ConfigError, Settings
from tests.conftest import Browser, post_id_from

STRONG_KEY = "pX4dT9qL2mZ8rB6vN1cK7wH3yF5gJ0sA-eU_iO"
CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]
# The whole policy, written out: a change to the app's constant must change this test too.
PINNED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
}


def start_agora(
    tmp_path: Path, secret_key: str | None, *command: str
) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """Run a real Agora entry point in production mode with a fresh environment."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env.update(ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}")
    # Everything the check reads is set here, so a developer's .env cannot change the outcome.
    env.update(INSTANCE_DIR=str(tmp_path / "instance"), PORT="0", BCRYPT_ROUNDS="12")
    env.update(SITE_URL="https://agora.test")
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return subprocess.run(
        [sys.executable, *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("secret_key", "reason"),
    [
        (None, "SECRET_KEY is not set"),
        ("", "SECRET_KEY is not set"),
        ("changeme", "placeholder"),
        ("your-secret-key-change-me-in-production-0123456789", "placeholder"),
        ("kQ8#vz2LpR", "too short"),
        ("ab" * 32, "not random"),
    ],
)
def test_sec28_production_refuses_to_start_with_a_weak_key(tmp_path, secret_key, reason):
    result = start_agora(tmp_path, secret_key, "-c", "import app.main")
    assert result.returncode != 0
    assert result.stderr.startswith("Agora cannot start: ") and reason in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "prod.db").exists()  # refused before touching the database


@pytest.mark.parametrize("command", ["run", "serve", "migrate"])
def test_sec28_the_agora_command_refuses_too(tmp_path, command):
    result = start_agora(tmp_path, "changeme", "-m", "app", command)
    assert result.returncode == 2
    assert result.stderr == (
        "agora: SECRET_KEY is a placeholder value copied from an example; generate a random one.\n"
    )


def test_sec28_production_starts_with_a_strong_key(tmp_path):
    result = start_agora(tmp_path, STRONG_KEY, "-c", "import app.main; print('started')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_sec28_development_generates_a_strong_key_once(tmp_path):
    settings = Settings(_env_file=None, env="development", instance_dir=tmp_path / "inst")
    key = settings.signing_key
    path = tmp_path / "inst" / "secret_key"
    assert len(key.encode()) >= 32 and len(set(key)) > 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Settings(_env_file=None, env="development", instance_dir=tmp_path / "inst")
    assert again.signing_key == key


def test_sec28_bad_settings_say_which_setting(monkeypatch):
    from app.config import load_settings

    monkeypatch.setenv("TRUSTED_PROXIES", "not-an-address")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES: 'not-an-address' is not an IP"):
        load_settings()


def test_sec29_content_security_policy(browser):
    header = browser.get("/").headers["content-security-policy"]
    directives = [d.strip() for d in header.split(";")]
    for directive in CSP_DIRECTIVES:
        assert directive in directives
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert header == PINNED_CSP


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline script"),
    (re.compile(r"<style", re.I), "style element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_sec29_no_template_needs_unsafe_inline():
    for template in (PROJECT_DIR / "templates").rglob("*"):
        if template.is_file():
            text = template.read_text()
            for pattern, what in INLINE:
                assert not pattern.search(text), f"{what} in {template.name}"


def test_sec29_rendered_pages_need_no_unsafe_inline(alice, make_browser):
    post_id = post_id_from(alice.create_post())
    pages = ["/", "/account", "/posts/new", f"/posts/{post_id}", f"/posts/{post_id}/edit"]
    pages += [f"/posts/{post_id}/delete", "/users/alice", "/nope"]
    anonymous = make_browser()
    for b, page in [(alice, p) for p in pages] + [(anonymous, "/login"), (anonymous, "/register")]:
        html = b.get(page).text
        for pattern, what in INLINE:
            assert not pattern.search(html), f"{what} on {page}"


@pytest.fixture
def responses(app, alice, make_app):  # type: ignore[no-untyped-def]
    """One response of every kind the app sends, by name."""

    @app.get("/boom-for-headers")
    def boom() -> None:
        raise RuntimeError("boom")

    anon = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    strict = make_app(allowed_hosts="agora.example", login_max_failures_account=1)
    strict_client = TestClient(strict, base_url="http://agora.example", follow_redirects=False)
    b = Browser(strict_client)
    b.submit("/login", {"email": "x@example.com", "password": "wrong guess"}, page="/login")
    found = {
        "page": alice.get("/"),
        "account": alice.get("/account"),
        "redirect": anon.get("/posts/new"),
        "404": anon.get("/no/such/page"),
        "405": anon.get("/logout"),
        "400 bad query": anon.get("/?page=abc"),
        "403 csrf": alice.client.post("/posts", data={"title": "x"}),
        "413": anon.post("/login", content=b"x" * 1_000_001),
        "500": anon.get("/boom-for-headers"),
        "static": anon.get("/static/css/agora.css"),
        "static 404": anon.get("/static/nope.css"),
        "api 404": anon.get("/api/nope"),
        "api": anon.get("/api/posts"),
        "api 401": anon.get("/api/users/me"),
        "api docs": anon.get("/docs"),
        "healthz": anon.get("/healthz"),
        "head": anon.head("/"),
        "400 bad host": TestClient(strict, base_url="http://evil.example").get("/"),
        "429": b.submit(
            "/login", {"email": "x@example.com", "password": "wrong guess"}, page="/login"
        ),
    }
    expected = {"404": 404, "405": 405, "413": 413, "500": 500, "400 bad host": 400, "429": 429}
    expected |= {"api": 200, "api 401": 401, "api docs": 200}
    for name, status in expected.items():
        assert found[name].status_code == status, name
    return found


def test_sec30_headers_on_every_response(responses):
    for name, response in responses.items():
        for header, value in EVERYWHERE.items():
            assert response.headers.get(header) == value, f"{header} on {name}"
        assert response.headers.get("content-security-policy") == PINNED_CSP, name


# The pages every anonymous visitor shares (app/web/shared.py) may be kept and revalidated:
# they hold nobody's data, and `Vary: Cookie` keeps a logged-in view from ever matching them.
SHARED = {"head"}


def test_sec08_no_store_on_every_dynamic_response(responses):
    for name, response in responses.items():
        if name.startswith("static"):
            continue
        if name in SHARED:
            assert response.headers.get("cache-control") == "no-cache", name
            assert response.headers.get("vary") == "Cookie" and response.headers["etag"], name
        else:
            assert response.headers.get("cache-control") == "no-store", name
    assert "etag" not in responses["page"].headers, "a logged-in page is never shared"


def test_sec31_hsts_only_over_https(responses, make_browser):
    for name, response in responses.items():
        assert "strict-transport-security" not in response.headers, name
    secure = make_browser("https://testserver")
    for page in ("/", "/static/css/agora.css", "/nope", "/login"):
        hsts = secure.get(page).headers["strict-transport-security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= 365 * 24 * 3600


HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><script>alert(2)</script>",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_sec32_user_text_is_escaped_everywhere(alice, make_browser, text):
    post_id = post_id_from(alice.create_post(text, text))
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    pages = ["/", f"/posts/{post_id}", "/users/alice"]
    owner_pages = [f"/posts/{post_id}/edit", f"/posts/{post_id}/delete"]
    for b, page in [(make_browser(), p) for p in pages] + [(alice, p) for p in owner_pages]:
        html = b.get(page).text
        assert text not in html, page
        assert escaped.replace('"', "&#34;") in html or escaped in html, page


def test_sec32_template_syntax_in_user_text_is_just_text(alice):
    text = "{{ 7*7 }} {% raw %} {{ config }}"
    post_id = post_id_from(alice.create_post(text, text))
    # <title>, heading and body, and title and excerpt in each kind of preview tag.
    html = alice.get(f"/posts/{post_id}").text
    assert html.count(text) == 8


def test_sec32_templates_autoescape_and_never_mark_user_text_safe():
    mail = PROJECT_DIR / "templates" / "mail"
    feeds = PROJECT_DIR / "templates" / "feeds"
    for template in (PROJECT_DIR / "templates").rglob("*"):
        if template.is_file():
            if template.parent == mail and template.suffix == ".txt":
                # A mail's plain-text part: never HTML, so never escaped; its HTML twin is.
                assert template.with_suffix(".html").is_file(), template.name
            elif template.parent == feeds:
                # Atom feeds: XML, which the pages' environment escapes by name as well.
                assert template.suffix == ".xml", template.name
                assert templating.env.autoescape(f"feeds/{template.name}"), template.name
            else:
                assert template.suffix == ".html", template.name
            text = template.read_text()
            assert not re.search(r"\|\s*safe\b", text), template.name
            assert "autoescape false" not in text, template.name


def test_sec32_unknown_hosts_are_refused_when_allowed_hosts_is_set(make_app):
    strict = make_app(allowed_hosts="agora.example,www.agora.example")
    for host in ("agora.example", "www.agora.example", "agora.example:8000"):
        assert TestClient(strict, base_url=f"http://{host}").get("/").status_code == 200
    for host in ("evil.example", "agora.example.evil.example", "127.0.0.1"):
        response = TestClient(strict, base_url=f"http://{host}").get("/")
        assert response.status_code == 400, host
        assert response.headers["x-frame-options"] == "DENY"


def test_sec32_any_host_is_accepted_when_allowed_hosts_is_empty(browser, app):
    assert TestClient(app, base_url="http://anything.example").get("/").status_code == 200


SLASH_REDIRECTS = [
    ("GET", "/login/", "/login"),
    ("GET", "/posts/new/", "/posts/new"),
    ("GET", "/admin/", "/admin"),
    ("GET", "/users/alice/?page=2", "/users/alice?page=2"),
    ("GET", "/search/?q=caf%C3%A9", "/search?q=caf%C3%A9"),
    ("GET", "/users/Zo%C3%AB/", "/users/Zo%C3%AB"),
    ("GET", "/users/100%25/", "/users/100%25"),
    ("GET", "/api/posts/", "/api/posts"),
    ("POST", "/api/posts/", "/api/posts"),
    ("GET", "/login//", "/login"),
]


@pytest.mark.parametrize(("method", "path", "location"), SLASH_REDIRECTS)
def test_hole_10_trailing_slash_redirects_are_relative_whatever_the_host(
    app, method, path, location
):
    for host in ("evil.example", "testserver", "127.0.0.1:8000"):
        client = TestClient(app, base_url=f"http://{host}", follow_redirects=False)
        response = client.request(method, path)
        assert response.status_code == 307, (host, path)
        assert response.headers["location"] == location
        # Following it reaches the route (a missing user's page is still that route's answer).
        assert client.request(method, location).status_code != 307


def test_hole_10_no_redirect_without_a_route_or_off_the_site(make_app):
    app = make_app()

    # A route a later feature might add, that `//evil.example` (a link to another site) matches.
    @app.get("/{name:path}.example")
    def by_extension(name: str) -> str:
        return name

    client = TestClient(app, base_url="http://evil.example", follow_redirects=False)
    assert client.get("/evil.example").status_code == 200
    for path in ("/nothing/", "/posts/1/nothing/", "/%2Fevil.example/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "location" not in response.headers
