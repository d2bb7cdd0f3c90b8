"""Tags, bookmarks and dismissing through the JSON API."""

from tests.conftest import set_role


def tagged(api, title: str, tags: list[str], published: bool = True) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = api.post(
        "/api/posts",
        json={"title": title, "content": "Words.", "published": published, "tags": tags},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_tags_are_set_on_create_and_edit_and_shown_in_every_post_schema(alice_api, api):
    post = tagged(alice_api, "Tagged", ["Python", "web-dev", "python"])
    assert post["tags"] == ["python", "web-dev"]
    assert api.get(f"/api/posts/{post['id']}").json()["tags"] == ["python", "web-dev"]
    assert api.get("/api/posts").json()["items"][0]["tags"] == ["python", "web-dev"]
    patched = alice_api.patch(f"/api/posts/{post['id']}", json={"tags": ["rust"]})
    assert patched.json()["tags"] == ["rust"]
    # PUT without tags keeps them; with tags, replaces them.
    kept = alice_api.put(
        f"/api/posts/{post['id']}", json={"title": "T", "content": "C", "published": True}
    )
    assert kept.json()["tags"] == ["rust"]
    replaced = alice_api.put(
        f"/api/posts/{post['id']}",
        json={"title": "T", "content": "C", "published": True, "tags": []},
    )
    assert replaced.json()["tags"] == []


def test_bad_tags_are_a_422_that_says_why(alice_api):
    cases = {
        "at most 5 tags": ["a", "b", "c", "d", "e", "f"],
        "at most 25 characters": ["x" * 26],
        "only letters a-z": ["c++"],
    }
    for says, tags in cases.items():
        response = alice_api.post("/api/posts", json={"title": "T", "content": "C", "tags": tags})
        assert response.status_code == 422, tags
        detail = response.json()["detail"]
        assert detail[0]["loc"] == ["body", "tags"]
        assert says in detail[0]["msg"]
    assert alice_api.get("/api/posts").json()["items"] == []


def test_moderators_only_policy_in_the_api(make_app, db):
    from starlette.testclient import TestClient

    from tests.conftest import Api

    app = make_app(tag_creation="moderators")
    with TestClient(app) as one, TestClient(app) as two:
        member, mod = Api(one), Api(two)
        member.signup("member")
        mod.signup("mod")
        set_role(db, "mod", "moderator")
        member.log_in("member")
        mod.log_in("mod")
        refused = member.post("/api/posts", json={"title": "T", "content": "C", "tags": ["new"]})
        assert refused.status_code == 422
        assert "only moderators create tags" in refused.json()["detail"][0]["msg"]
        assert (
            mod.post("/api/posts", json={"title": "T", "content": "C", "tags": ["new"]}).status_code
            == 201
        )
        assert (
            member.post(
                "/api/posts", json={"title": "U", "content": "C", "tags": ["new"]}
            ).status_code
            == 201
        )


def test_list_tags_and_a_tags_posts(alice_api, api):
    tagged(alice_api, "One", ["common", "rare"])
    tagged(alice_api, "Two", ["common"])
    tagged(alice_api, "Draft", ["common", "secret"], published=False)
    listing = api.get("/api/tags").json()
    assert [(t["name"], t["post_count"]) for t in listing["items"]] == [("common", 2), ("rare", 1)]
    assert listing["next"] is None
    assert titles(api.get("/api/tags/common/posts")) == ["Two", "One"]
    page = api.get("/api/tags/common/posts?limit=1").json()
    assert page["next_cursor"]
    assert titles(api.get(page["next"])) == ["One"]
    assert api.get("/api/tags/secret/posts").status_code == 404
    assert api.get("/api/tags/nope/posts").status_code == 404
    assert api.get("/api/tags/common/posts?cursor=bad").status_code == 422


def test_a_renamed_tag_answers_301_in_the_api(alice_api, moderator, api):
    tagged(alice_api, "Old", ["py"])
    assert moderator.submit("/t/py/rename", {"new_name": "python"}, page="/t/py").status_code == 303
    moved = api.get("/api/tags/py/posts?limit=5", follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == "/api/tags/python/posts?limit=5"


def test_follow_a_tag_and_read_it_in_the_feed(alice_api, bob_api):
    tagged(alice_api, "Tagged", ["birds"])
    tagged(alice_api, "Other", [])
    response = bob_api.post("/api/tags/birds/follow")
    assert response.json() == {"name": "birds", "following": True}
    assert titles(bob_api.get("/api/feed")) == ["Tagged"]
    assert bob_api.delete("/api/tags/birds/follow").status_code == 204
    assert titles(bob_api.get("/api/feed")) == []
    assert bob_api.post("/api/tags/nope/follow").status_code == 404


def test_bookmarks_in_the_api_are_private(alice_api, bob_api, api):
    first = alice_api.create_post("First")
    second = alice_api.create_post("Second")
    for post in (first, second):
        response = bob_api.post(f"/api/posts/{post['id']}/bookmark")
        assert response.json() == {"post_id": post["id"], "bookmarked": True}
    assert titles(bob_api.get("/api/bookmarks")) == ["Second", "First"]
    page = bob_api.get("/api/bookmarks?limit=1").json()
    assert titles(bob_api.get(page["next"])) == ["First"]
    assert titles(alice_api.get("/api/bookmarks")) == []
    assert api.get("/api/bookmarks").status_code == 401
    assert api.post(f"/api/posts/{first['id']}/bookmark").status_code == 401
    assert bob_api.delete(f"/api/posts/{first['id']}/bookmark").status_code == 204
    assert titles(bob_api.get("/api/bookmarks")) == ["Second"]
    # No count shows anywhere in the post.
    assert "bookmark" not in str(api.get(f"/api/posts/{second['id']}").json())


def test_bookmark_a_draft_that_is_not_yours_is_404(alice_api, bob_api):
    draft = alice_api.create_post("Draft", published=False)
    assert bob_api.post(f"/api/posts/{draft['id']}/bookmark").status_code == 404
    assert alice_api.post(f"/api/posts/{draft['id']}/bookmark").status_code == 200


def test_dismiss_in_the_api(alice_api, bob_api):
    post = alice_api.create_post("Go away")
    alice_api.create_post("Stay")
    response = bob_api.post(f"/api/posts/{post['id']}/dismiss")
    assert response.json() == {"post_id": post["id"], "dismissed": True}
    assert titles(bob_api.get("/api/posts")) == ["Stay"]
    assert titles(alice_api.get("/api/posts")) == ["Stay", "Go away"]
    assert bob_api.delete(f"/api/posts/{post['id']}/dismiss").status_code == 204
    assert titles(bob_api.get("/api/posts")) == ["Stay", "Go away"]


def test_api_search_understands_tag(alice_api, api):
    tagged(alice_api, "Snakes in the garden", ["python"])
    tagged(alice_api, "Snakes in code", ["programming"])
    assert titles(api.get("/api/posts?search=snakes tag:python")) == ["Snakes in the garden"]
    assert titles(api.get("/api/posts?search=tag:python")) == ["Snakes in the garden"]
    assert titles(api.get("/api/posts?search=tag:none")) == []


def test_the_new_routes_are_in_openapi(api):
    paths = api.get("/openapi.json").json()["paths"]
    for path, methods in {
        "/api/tags": {"get"},
        "/api/tags/{tag}/posts": {"get"},
        "/api/tags/{tag}/follow": {"post", "delete"},
        "/api/posts/{post_id}/bookmark": {"post", "delete"},
        "/api/bookmarks": {"get"},
        "/api/posts/{post_id}/dismiss": {"post", "delete"},
    }.items():
        assert methods <= set(paths[path]), path
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    assert "tags" in schema["PostOut"]["properties"]
    assert "tags" in schema["PostCreate"]["properties"]


def test_validators_move_with_tag_renames_follows_filters_and_dismissals(
    alice_api, bob_api, moderator
):
    post = tagged(alice_api, "Birds", ["birds"])

    def etag(url: str) -> str:
        response = bob_api.get(url)
        assert response.status_code == 200, response.text
        return response.headers["etag"]

    def revalidated(url: str, tag: str) -> int:
        return bob_api.get(url, headers={"If-None-Match": tag}).status_code

    single, listing = etag(f"/api/posts/{post['id']}"), etag("/api/posts")
    assert revalidated("/api/posts", listing) == 304
    # A rename changes what the post and every listing show.
    assert (
        moderator.submit("/t/birds/rename", {"new_name": "aves"}, page="/t/birds").status_code
        == 303
    )
    assert bob_api.get(f"/api/posts/{post['id']}").json()["tags"] == ["aves"]
    assert revalidated(f"/api/posts/{post['id']}", single) == 200
    assert revalidated("/api/posts", listing) == 200
    # My own follows, filters and dismissals change only my listings.
    for change in (
        lambda: bob_api.post("/api/tags/aves/follow"),
        lambda: bob_api.post(f"/api/posts/{post['id']}/dismiss"),
        lambda: bob_api.delete(f"/api/posts/{post['id']}/dismiss"),
    ):
        before = {u: etag(u) for u in ("/api/posts", "/api/feed")}
        assert change().status_code in (200, 204)
        assert all(revalidated(u, t) == 200 for u, t in before.items())
    anonymous = alice_api.get("/api/posts").headers["etag"]
    assert bob_api.post(f"/api/posts/{post['id']}/dismiss").status_code == 200
    assert alice_api.get("/api/posts").headers["etag"] == anonymous  # alice's view: unchanged
