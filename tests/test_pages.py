"""Error pages, health, headers and the CSRF refusals every form shares."""

import asyncio

import pytest
from fastapi.testclient import TestClient
from jinja2 import Environment
from sqlmodel import func, select
from starlette.concurrency import run_in_threadpool

from app import deps
from app.models import Post
from app.services import sessions
from tests.conftest import post_id_from
from tests.test_api_conventions import all_routes


def test_healthz(browser):
    response = browser.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_404_page_in_layout(browser):
    response = browser.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text and 'class="site-header"' in response.text


def test_500_page_has_no_stack_trace(app):
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and 'class="site-header"' in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_post_id_past_sqlite_integers(browser):
    response = browser.get(f"/posts/{2**63}")
    assert 400 <= response.status_code < 500


VALIDATOR_WORDS = ("Input should", "post_id", "valid integer", "greater than", "less than", "parse")


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize(
    ("url", "title", "message", "retry"),
    [
        ("/posts/abc", "Page not found", "There is nothing at this address", None),
        (f"/posts/{2**63}", "Page not found", "There is nothing at this address", None),
        ("/?page=-1", "No such page", "pages are numbered from 1", "/"),
        ("/?page=999999", "No such page", "this list does not go that far", "/"),
        ("/top?page=abc", "No such page", "is not valid as a page number", "/top"),
        ("/search?q=walnut&page=999999", "No such page", "not go that far", "/search?q=walnut"),
        ("/users/alice/following?page=0", "No such page", "from 1", "/users/alice/following"),
        ("/posts/1?sort=worst", "That link does not work here", "the option “sort”", "/posts/1"),
    ],
)
def test_page_errors_speak_plainly_and_offer_a_way_on(alice, url, title, message, retry):
    alice.create_post()
    response = alice.get(url, headers={"referer": "http://testserver/users/alice"})
    assert response.status_code == 400
    main = main_of(response.text)
    assert f"<h1>{title}</h1>" in main and message in main
    assert not any(word in main for word in VALIDATOR_WORDS), main
    assert '<a class="button" href="/users/alice">&larr; Back</a>' in main
    assert 'action="/search"' in main and 'id="error-search"' in main
    if retry:
        assert f'href="{retry}"' in main.replace("&amp;", "&")
    else:
        assert '<a class="button button-primary" href="/">Go to the feed</a>' in main


def test_back_is_offered_only_for_another_page_of_this_site(browser):
    elsewhere = browser.get("/?page=0", headers={"referer": "https://evil.example/x"}).text
    itself = browser.get("/?page=0", headers={"referer": "http://testserver/?page=0"}).text
    assert "&larr; Back" not in elsewhere and "&larr; Back" not in itself


def test_the_api_keeps_its_precise_validation_details(browser):
    response = browser.get("/api/posts/abc")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "post_id"]
    assert "valid integer" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("token", [None, "", "bogus"])
def test_forms_refuse_missing_or_wrong_csrf(alice, db, token):
    data = {"title": "Nope", "content": "x", "published": "1"}
    if token is not None:
        data["csrf_token"] = token
    response = alice.client.post("/posts", data=data)
    assert response.status_code == 403
    assert db.exec(select(func.count()).select_from(Post)).one() == 0


def test_csrf_token_of_another_session_is_refused(alice, bob, db):
    bobs_token = bob.token("/posts/new")
    response = alice.client.post(
        "/posts", data={"title": "x", "content": "y", "csrf_token": bobs_token}
    )
    assert response.status_code == 403
    assert db.exec(select(func.count()).select_from(Post)).one() == 0


def test_cross_site_post_is_refused_even_with_token(alice, db):
    token = alice.token("/posts/new")
    data = {"title": "x", "content": "y", "csrf_token": token}
    assert (
        alice.client.post("/posts", data=data, headers={"Sec-Fetch-Site": "cross-site"}).status_code
        == 403
    )
    assert (
        alice.client.post(
            "/posts", data=data, headers={"Origin": "https://evil.example"}
        ).status_code
        == 403
    )
    assert db.exec(select(func.count()).select_from(Post)).one() == 0
    assert (
        alice.client.post(
            "/posts", data=data, headers={"Sec-Fetch-Site": "same-origin"}
        ).status_code
        == 303
    )


def test_login_and_register_need_csrf(alice, make_browser):
    b = make_browser()
    assert (
        b.client.post(
            "/login", data={"email": "alice@example.com", "password": "x" * 10}
        ).status_code
        == 403
    )
    assert (
        b.client.post(
            "/register", data={"username": "eve", "email": "e@example.com", "password": "x" * 10}
        ).status_code
        == 403
    )


def test_get_never_changes_state(alice, db):
    post_id = post_id_from(alice.create_post())
    assert alice.get(f"/posts/{post_id}/vote").status_code in (404, 405)
    assert alice.get("/logout").status_code in (404, 405)
    assert alice.get(f"/posts/{post_id}/delete").status_code == 200  # confirmation page
    assert "Log out" in alice.get("/").text
    db.expire_all()
    assert db.get(Post, post_id).vote_count == 0


def test_flash_message_shows_once(alice):
    alice.create_post()
    assert "Your post is published." in alice.get("/").text
    assert "Your post is published." not in alice.get("/").text


def test_pages_answer_head_like_get_without_a_body(alice, make_browser):
    # Link checkers and uptime monitors ask with HEAD: the same status and headers as GET.
    post_id = post_id_from(alice.create_post("Hello", "world"))
    anon = make_browser()
    for url in ("/", f"/posts/{post_id}", "/users/alice", "/search?q=hello", "/login", "/healthz"):
        got, head = anon.get(url), anon.client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert head.headers["content-type"] == got.headers["content-type"], url
        assert head.content == b"", url
    assert anon.client.head("/posts/new").status_code == 303  # still asks for a login
    assert anon.client.head("/logout").status_code == 405  # a POST-only action stays POST-only


def test_every_page_shows_who_is_logged_in(alice, bob):
    # The header comes from the layout, whatever the route itself asks for.
    post_id = post_id_from(alice.create_post("Hello", "world"))
    bob.submit("/users/alice/follow", page="/users/alice")
    urls = ["/", "/top", "/following", f"/posts/{post_id}", "/search?q=hello", "/users/alice"]
    urls += ["/users/alice/followers", "/users/bob/following", "/account", "/posts/new"]
    urls += ["/no/such/page"]
    for url in urls:
        page = bob.get(url).text
        assert 'action="/logout"' in page and ">bob</span>" in page, url


def test_every_page_route_resolves_its_visitor(app):
    # The layout reads the visitor the route resolved (app.web.PageRouter adds the ask only
    # where the view's own parameters do not make it): every page route, not just those above.
    def resolves(dependant):  # type: ignore[no-untyped-def]
        return dependant.call in deps.RESOLVES_VISITOR or any(map(resolves, dependant.dependencies))

    # Answers without the layout: the API's, its docs', the probes' and the crawlers'.
    bare = ("/api", "/openapi", "/docs", "/redoc", "/healthz", "/readyz", "/robots", "/sitemap")
    pages = [
        route
        for route in all_routes(app)
        if "GET" in route.methods and not route.path.startswith(bare)
    ]
    assert len(pages) > 50
    assert [route.path for route in pages if not resolves(route.dependant)] == []


def test_error_pages_read_the_visitor_off_the_event_loop(alice, monkeypatch):
    # On SQLite, run_db answers inline on purpose (a read costs microseconds); every other
    # database is across a network and must never be read from the loop. Force that path.
    async def in_a_thread(engine, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await run_in_threadpool(fn, *args, **kwargs)

    monkeypatch.setattr(deps, "run_db", in_a_thread)
    on_loop: list[bool] = []
    resolve = sessions.resolve

    def watched(**kwargs):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return resolve(**kwargs)

    monkeypatch.setattr(sessions, "resolve", watched)
    page = alice.get("/no/such/page")
    assert page.status_code == 404 and "alice" in page.text  # the header knows who is looking
    assert on_loop == [False]


def test_each_app_keeps_its_own_template_reloading(make_app, monkeypatch):
    # A development app reloads templates from disk; building one must not make another app in
    # the same process (a test run, a second mount) pay for that.
    production, development = make_app(env="test"), make_app(env="development")
    seen: list[bool] = []
    get_template = Environment.get_template

    def watched(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(self.auto_reload)
        return get_template(self, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "get_template", watched)
    assert TestClient(production).get("/login").status_code == 200
    assert seen and not any(seen)
    seen.clear()
    assert TestClient(development).get("/login").status_code == 200
    assert seen and all(seen)
