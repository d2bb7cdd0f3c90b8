"""Notifications in the JSON API: listing, unread only, paging, marking read, settings."""

from app.models import Notification
from tests.conftest import get_user


def comment(api, post_id: int, content: str, parent_id: int | None = None) -> int:  # type: ignore[no-untyped-def]
    response = api.post(
        f"/api/posts/{post_id}/comments", json={"content": content, "parent_id": parent_id}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_listing_shows_what_happened_with_where_it_leads(alice_api, bob_api):
    post = alice_api.create_post("Tomatoes", "How?")
    comment_id = comment(bob_api, post["id"], "In sun, @alice.")
    bob_api.post("/api/users/alice/follow")
    response = alice_api.get("/api/notifications")
    assert response.status_code == 200
    items = response.json()["items"]
    # The comment both answers and names alice: she is told of it once.
    assert [(i["kind"], i["actor"]) for i in items] == [("follow", "bob"), ("reply_post", "bob")]
    assert items[0]["url"] == "/users/bob"
    assert items[1]["url"] == f"/comments/{comment_id}"
    assert items[1]["post_title"] == "Tomatoes" and items[1]["read_at"] is None


def test_mark_some_read_then_all_and_list_only_the_unread(alice_api, bob_api):
    post = alice_api.create_post()
    comment(bob_api, post["id"], "One.")
    comment(bob_api, post["id"], "Two.")
    bob_api.post("/api/users/alice/follow")
    items = alice_api.get("/api/notifications").json()["items"]
    response = alice_api.post("/api/notifications/read", json={"ids": [items[0]["id"]]})
    assert response.json() == {"marked": 1}
    unread = alice_api.get("/api/notifications", params={"unread_only": "true"}).json()["items"]
    assert len(unread) == 2
    # Someone else's ids change nothing.
    assert bob_api.post("/api/notifications/read", json={"ids": [unread[0]["id"]]}).json() == {
        "marked": 0
    }
    assert alice_api.post("/api/notifications/read", json={"all": True}).json() == {"marked": 2}
    assert alice_api.get("/api/notifications?unread_only=true").json()["items"] == []


def test_paging_follows_next_to_the_end(alice_api, db):
    alice_id = get_user(db, "alice").id
    for i in range(5):
        db.add(Notification(recipient_id=alice_id, kind="milestone", dedupe_key=f"t{i}"))
    db.commit()
    seen, url = [], "/api/notifications?limit=2"
    while url:
        page = alice_api.get(url).json()
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


def test_bad_input_is_a_clear_4xx(alice_api, api):
    assert api.get("/api/notifications").status_code == 401
    assert alice_api.get("/api/notifications?cursor=nonsense").status_code == 422
    assert alice_api.get("/api/notifications?limit=0").status_code == 422
    for body in ({"ids": ["1"]}, {"ids": [0]}, {"ids": list(range(1, 200))}, {"every": True}):
        assert alice_api.post("/api/notifications/read", json=body).status_code == 422, body


def test_settings_turn_kinds_off_and_on(alice_api, bob_api):
    settings = alice_api.get("/api/notifications/settings").json()
    assert settings == dict.fromkeys(settings, True) and len(settings) == 6
    settings["follow"] = False
    response = alice_api.put("/api/notifications/settings", json=settings)
    assert response.status_code == 200 and response.json()["follow"] is False
    bob_api.post("/api/users/alice/follow")
    assert alice_api.get("/api/notifications").json()["items"] == []
    assert alice_api.put("/api/notifications/settings", json={"follow": True}).status_code == 422


def test_the_routes_are_in_the_openapi_document(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert {"get"} <= set(paths["/api/notifications"])
    assert "post" in paths["/api/notifications/read"]
    assert {"get", "put"} <= set(paths["/api/notifications/settings"])
