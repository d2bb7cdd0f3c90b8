"""HTTP conventions every API route keeps, found from the app's route table: unknown query
parameters are refused, HEAD works wherever GET does, a 405 lists what the path accepts, and
listings link their next page."""

import re
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import Session

from tests.conftest import Api, get_user


def all_routes(app: FastAPI) -> list[APIRoute]:
    """Every route of the app, pages and API, as the router sees them."""
    found = [ctx.original_route for ctx in iter_route_contexts(app.routes)]
    return [route for route in found if isinstance(route, APIRoute)]


def api_routes(app: FastAPI, method: str | None = None) -> list[APIRoute]:
    return [
        route
        for route in all_routes(app)
        if route.path.startswith("/api") and (method is None or method in route.methods)
    ]


def listings(app: FastAPI) -> list[APIRoute]:
    """GET routes that answer a page of items (a `next` link and its cursor)."""
    found = []
    for route in api_routes(app, "GET"):
        model = route.response_model
        fields = getattr(model, "model_fields", {})
        if "items" in fields and "next" in fields:
            found.append(route)
    return found


@pytest.fixture
def world(alice_api: Api, bob_api: Api, db: Session) -> dict[str, str]:
    """Values for every path parameter: a post with a comment, and the people who wrote them."""
    post = alice_api.post(
        "/api/posts",
        json={"title": "Hello", "content": "First post!", "published": True, "tags": ["garden"]},
    ).json()
    comment = bob_api.post(f"/api/posts/{post['id']}/comments", json={"content": "Hi"}).json()
    return {
        "post_id": str(post["id"]),
        "comment_id": str(comment["id"]),
        "username": "alice",
        "user_id": str(get_user(db, "bob").id),
        "tag": "garden",
        "name": "garden",
        "token": "not-a-token",
        "notification_id": "1",
        "report_id": "1",
        "invite_id": "1",
        "kind": "posts",  # a child sitemap (app/web/seo.py)
        "page": "1",
    }


# The query parameters a route cannot do without, with a value that finds something.
REQUIRED = {"search": "garden"}


def required(route: APIRoute) -> dict[str, str]:
    names = {p.alias for p in route.dependant.query_params if p.field_info.is_required()}
    return {name: REQUIRED[name] for name in names}


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_the_route_table_has_the_listings(app: FastAPI) -> None:
    paths = {route.path for route in listings(app)}
    assert {"/api/posts", "/api/feed", "/api/posts/{post_id}/comments"} <= paths
    assert len(api_routes(app, "GET")) >= 6


def test_every_listing_refuses_an_unknown_query_parameter(
    app: FastAPI, alice_api: Api, world: dict[str, str]
) -> None:
    for route in listings(app):
        url = fill(route.path, world)
        response = alice_api.get(url, params={"skip": "20", **required(route)})
        assert response.status_code == 422, (url, response.text)
        [error] = response.json()["detail"]
        assert error["loc"] == ["query", "skip"], url
        takes = {p.alias for p in route.dependant.query_params}
        assert all(name in error["msg"] for name in takes), "the answer says what it takes"
        assert alice_api.get(url, params=required(route)).status_code == 200, url


def test_every_api_get_refuses_an_unknown_query_parameter(
    app: FastAPI, alice_api: Api, world: dict[str, str]
) -> None:
    for route in api_routes(app, "GET"):
        url = fill(route.path, world)
        response = alice_api.get(url, params={"skip": "2"})
        assert response.status_code == 422, (url, response.text)
        assert response.json()["detail"][0]["loc"] == ["query", "skip"]


def test_writes_refuse_unknown_query_parameters_too(alice_api: Api, world: dict[str, str]) -> None:
    response = alice_api.post(
        "/api/posts?draft=1", json={"title": "T", "content": "C", "published": True}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "draft"]
    # A parameter the route reads is still fine.
    removed = alice_api.delete(f"/api/comments/{world['comment_id']}?reason=spam")
    assert removed.status_code != 422


def test_pages_ignore_query_parameters_they_do_not_read(browser) -> None:  # type: ignore[no-untyped-def]
    assert browser.get("/?utm_source=newsletter").status_code == 200


def path_methods(app: FastAPI) -> dict[str, set[str]]:
    """Each path of the route table with every method some route answers on it."""
    table: dict[str, set[str]] = {}
    for route in all_routes(app):
        table.setdefault(route.path, set()).update(route.methods)
    return table


def test_head_answers_wherever_get_does(
    app: FastAPI, alice_api: Api, world: dict[str, str]
) -> None:
    checked = 0
    for path, methods in path_methods(app).items():
        if "GET" not in methods:
            continue
        url = fill(path, world)
        got = alice_api.get(url)
        head = alice_api.request("HEAD", url)
        assert head.status_code == got.status_code, (url, head.status_code, got.status_code)
        assert head.content == b"", url
        assert head.headers.get("content-type") == got.headers.get("content-type"), url
        if "content-length" in got.headers and got.status_code == 200:
            assert head.headers["content-length"] == got.headers["content-length"], url
        checked += 1
    assert checked >= 20, "pages and API routes were found"


def test_head_is_logged_as_head(alice_api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="agora.request"):
        assert alice_api.request("HEAD", "/api/posts").status_code == 200
    assert [r.method for r in caplog.records if r.name == "agora.request"] == ["HEAD"]


def expected_allow(methods: set[str]) -> set[str]:
    return methods | ({"HEAD"} if "GET" in methods else set())


def test_a_405_allows_every_method_of_the_path(
    app: FastAPI, alice_api: Api, world: dict[str, str]
) -> None:
    checked = 0
    for path, methods in path_methods(app).items():
        refused = {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods
        if not refused:
            continue
        url = fill(path, world)
        response = alice_api.request(sorted(refused)[0], url)
        assert response.status_code == 405, (url, response.status_code)
        allow = {m.strip() for m in response.headers["allow"].split(",")}
        assert allow == expected_allow(methods), (url, allow)
        checked += 1
    assert checked >= 20


def test_posts_allow_both_listing_and_writing(api: Api) -> None:
    response = api.put("/api/posts", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.json() == {"detail": "Method not allowed."}


def walk_links(client: Api, url: str) -> tuple[list[int], int]:
    """Follow `Link: rel=next` from `url`; the ids seen, and how many pages."""
    seen: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item.get("id") for item in body["items"]]
        pages += 1
        link = response.links.get("next", {}).get("url")
        assert link == body["next"], "the header and the body agree"
        assert link is None or link.startswith("/api/"), "relative, never from the Host header"
        url = link
    return seen, pages


def test_every_listing_links_its_next_page(
    app: FastAPI, alice_api: Api, bob_api: Api, world: dict[str, str]
) -> None:
    # At least three of everything any listing lists, for alice.
    for n in range(3):
        post = bob_api.post(
            "/api/posts",
            json={"title": f"Bob {n}", "content": "x", "published": True, "tags": ["garden"]},
        ).json()
        alice_api.post(f"/api/posts/{world['post_id']}/comments", json={"content": f"garden {n}"})
        alice_api.post(f"/api/posts/{post['id']}/bookmark")
    alice_api.post("/api/users/bob/follow")
    bob_api.post(f"/api/posts/{world['post_id']}/vote")  # alice hears of it: a milestone
    bob_api.post("/api/users/alice/follow")  # and of a new follower (besides bob's comment)
    for route in listings(app):
        base = fill(route.path, world)
        if "limit" not in {p.alias for p in route.dependant.query_params}:
            # Pages of a fixed size (tags): the header says what the body says.
            response = alice_api.get(base, params=required(route))
            assert response.links.get("next", {}).get("url") == response.json()["next"], base
            continue
        url = base + "?" + urlencode({**required(route), "limit": 1})
        everything = alice_api.get(base, params={**required(route), "limit": 50})
        assert "link" not in everything.headers, base
        seen, pages = walk_links(alice_api, url)
        key = "id" if "id" in everything.json()["items"][0] else None
        assert len(seen) == len(everything.json()["items"]), route.path
        assert pages == len(seen) >= 3, route.path
        assert key is None or seen == [item["id"] for item in everything.json()["items"]]


def test_an_offset_page_links_the_one_before(alice_api: Api) -> None:
    for n in range(5):
        alice_api.create_post(title=f"Post {n}")
    links = alice_api.get("/api/posts", params={"limit": 2, "offset": 3}).links
    assert links["prev"]["url"] == "/api/posts?limit=2&offset=1"
    assert "next" not in links, "the last page"
    links = alice_api.get("/api/posts", params={"limit": 2, "offset": 2}).links
    assert alice_api.get(links["next"]["url"]).json()["items"][0]["title"] == "Post 0"
    first = links["prev"]["url"]
    assert first == "/api/posts?limit=2", "the first page has no offset"
    assert "prev" not in alice_api.get(first).links
    searched = alice_api.get("/api/posts", params={"search": "post", "limit": 2})
    after = alice_api.get(searched.links["next"]["url"])
    assert after.links["prev"]["url"] == "/api/posts?limit=2&search=post"


def test_no_two_routers_answer_the_same_request() -> None:
    """The page routers are tried most visited first (app.main): safe only while no request
    is one that two routers' routes both match, so that the order never changes who answers.
    Each route's parameters are filled with every literal segment of the table (and a number),
    the paths where a clash would show."""
    from app.main import API_ROUTERS, PAGE_ROUTERS

    routers = [*PAGE_ROUTERS, *API_ROUTERS]
    routes = [(n, r) for n, router in enumerate(routers) for r in router.routes]
    routes = [(n, r) for n, r in routes if isinstance(r, APIRoute)]
    assert len(routes) > 150, "the whole table"
    words = {part for _, r in routes for part in r.path.split("/") if part and "{" not in part}
    clashes = set()
    for n, route in routes:
        for word in [*words, "1"]:
            path = re.sub(r"\{[^}]+\}", word, route.path)
            for m, other in routes:
                if m != n and other.methods & route.methods and other.path_regex.match(path):
                    clashes.add((path, route.path, other.path))
    assert not clashes


def test_a_clash_between_routers_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above finds a clash when there is one: a page at a path another router's
    route also answers."""
    from fastapi import APIRouter

    from app import main

    router = APIRouter()
    router.add_api_route("/users/new", lambda: None)  # /users/{username} answers it too
    monkeypatch.setattr(main, "PAGE_ROUTERS", (*main.PAGE_ROUTERS, router))
    with pytest.raises(AssertionError):
        test_no_two_routers_answer_the_same_request()
