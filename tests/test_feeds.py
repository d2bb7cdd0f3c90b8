"""Atom feeds: valid Atom 1.0, only what everyone may see, absolute links from SITE_URL, and
conditional GETs whose validators change exactly with what each feed shows."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models import Tag, User, utcnow
from app.security import token_hash
from app.services import admin, comments, posts, profile, tags
from app.web import feeds as web_feeds
from tests.conftest import PASSWORD, Api, csrf_from, get_user, set_role
from tests.test_query_count import count_statements

ATOM_NS = "{http://www.w3.org/2005/Atom}"
BASE = "https://agora.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Every link in a feed comes from SITE_URL.
    return Settings(_env_file=None, **{**settings.model_dump(), "site_url": BASE})  # type: ignore[call-arg]


def parse(response) -> feedparser.FeedParserDict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.version == "atom10", parsed.version
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def entry_titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry.title for entry in parse(response).entries]


def turn_on_notifications_feed(api: Api, username: str) -> str:
    """Log `username` into the pages (once) and make their feed's address on the account page."""
    client = api.client
    page = client.get("/login")
    if page.status_code == 200:
        client.post(
            "/login",
            data={
                "email": f"{username}@example.com",
                "password": PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
        )
    account = client.get("/account/notifications")
    made = client.post("/account/notifications/feed", data={"csrf_token": csrf_from(account.text)})
    assert made.status_code == 200, made.text
    match = re.search(
        r'value="(https://agora\.example/feeds/notifications/[^"]+\.atom)"', made.text
    )
    assert match, "the new address is shown"
    return match.group(1).removeprefix(BASE)


class World:
    """alice's post tagged python with bob's comment, bob's other post, carol a moderator."""

    def __init__(self, make_api: Callable[..., Api], db: Session, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self.alice, self.bob, self.carol = (make_api(n) for n in ("alice", "bob", "carol"))
        self.visitor = make_api()
        made = self.alice.post(
            "/api/posts",
            json={"title": "Snakes", "content": "About **python**.", "tags": ["python"]},
        )
        assert made.status_code == 201, made.text
        self.post = made.json()["id"]
        self.other = self.bob.create_post(title="Elsewhere")["id"]
        self.comment = self.bob.post(
            f"/api/posts/{self.post}/comments", json={"content": "Nice *snakes*"}
        ).json()["id"]
        set_role(db, "carol", "moderator")

    def urls(self) -> dict[str, str]:
        return {
            "latest": "/feeds/latest.atom",
            "top": "/feeds/top.atom",
            "alice": "/feeds/users/alice.atom",
            "bob": "/feeds/users/bob.atom",
            "python": "/feeds/t/python.atom",
            "comments": f"/feeds/posts/{self.post}/comments.atom",
            "other comments": f"/feeds/posts/{self.other}/comments.atom",
        }

    def validators(self) -> dict[str, tuple[int, str | None]]:
        found = {}
        for name, url in self.urls().items():
            response = self.visitor.get(url)
            found[name] = (response.status_code, response.headers.get("etag"))
        return found

    def user(self, name: str) -> User:
        return get_user(self.db, name)

    def fresh_post(self):  # type: ignore[no-untyped-def]
        self.db.expire_all()
        return self.db.get(posts.Post, self.post)

    def fresh_comment(self):  # type: ignore[no-untyped-def]
        self.db.expire_all()
        return self.db.get(comments.Comment, self.comment)

    def tag(self) -> Tag:
        self.db.expire_all()
        return tags.named(session=self.db, name="python")


@pytest.fixture
def world(make_api, db: Session, settings: Settings) -> World:  # type: ignore[no-untyped-def]
    return World(make_api, db, settings)


def nothing(w: World) -> None:
    return None


def rename(w: World, old: str, new: str) -> None:
    profile.change_identity(
        session=w.db,
        settings=w.settings,
        user=w.user(old),
        username=new,
        email=f"{old}@example.com",
        password=PASSWORD,
        ip="192.0.2.1",
    )


def rename_alice(w: World) -> None:
    rename(w, "alice", "alicia")


# Each write (after its set-up), and the feeds it must change (others may change too).
WRITES: list[tuple[str, Callable[[World], object], Callable[[World], object], set[str]]] = [
    ("new post", nothing, lambda w: w.alice.create_post(title="Another"), {"latest", "alice"}),
    (
        "edit",
        nothing,
        lambda w: w.alice.patch(f"/api/posts/{w.post}", json={"content": "Changed."}),
        {"latest", "top", "alice", "python", "comments"},
    ),
    ("vote", nothing, lambda w: w.bob.post(f"/api/posts/{w.post}/vote"), {"top", "latest"}),
    (
        "comment",
        nothing,
        lambda w: w.carol.post(f"/api/posts/{w.post}/comments", json={"content": "Yes"}),
        {"comments"},
    ),
    (
        "edit comment",
        nothing,
        lambda w: w.bob.patch(f"/api/comments/{w.comment}", json={"content": "Nicer"}),
        {"comments"},
    ),
    (
        "remove comment",
        nothing,
        lambda w: comments.remove(
            session=w.db, comment=w.fresh_comment(), actor=w.user("carol"), reason="Off topic"
        ),
        {"comments"},
    ),
    (
        "hide",
        nothing,
        lambda w: posts.hide(session=w.db, post=w.fresh_post(), actor=w.user("carol"), reason="x"),
        {"latest", "top", "alice", "python", "comments"},
    ),
    (
        "restore",
        lambda w: posts.hide(session=w.db, post=w.fresh_post(), actor=w.user("carol"), reason="x"),
        lambda w: posts.restore(session=w.db, post=w.fresh_post(), actor=w.user("carol")),
        {"latest", "top", "alice", "python", "comments"},
    ),
    (
        "delete post",
        nothing,
        lambda w: w.alice.delete(f"/api/posts/{w.post}"),
        {"latest", "top", "alice", "python", "comments"},
    ),
    (
        "deactivate the author",
        nothing,
        lambda w: admin.suspend(session=w.db, actor=w.user("carol"), user=w.user("alice")),
        {"latest", "top", "alice", "python", "comments"},
    ),
    (
        "deactivate a commenter",
        nothing,
        lambda w: admin.suspend(session=w.db, actor=w.user("carol"), user=w.user("bob")),
        {"comments", "bob"},
    ),
    ("rename the author", nothing, rename_alice, {"latest", "top", "alice", "python"}),
    (
        "rename the tag",
        nothing,
        lambda w: tags.rename(session=w.db, tag=w.tag(), actor=w.user("carol"), name="snakes"),
        {"latest", "top", "alice", "python"},
    ),
    (
        "describe the tag",
        nothing,
        lambda w: tags.describe(
            session=w.db, tag=w.tag(), actor=w.user("carol"), description="Snakes, the language."
        ),
        {"python"},
    ),
]


@pytest.mark.parametrize("name, setup, write, changed", WRITES, ids=[w[0] for w in WRITES])
def test_every_write_changes_the_validators_of_the_feeds_it_shows_in(
    world: World,
    name: str,
    setup: Callable[[World], object],
    write: Callable[[World], object],
    changed: set[str],
) -> None:
    setup(world)
    before = world.validators()
    result = write(world)
    if hasattr(result, "status_code"):
        assert result.status_code < 300, result.text
    after = world.validators()
    moved = {feed for feed in before if before[feed] != after[feed]}
    assert changed <= moved, f"{name}: {changed - moved} kept their validator"
    assert after == world.validators(), "unchanged content keeps its validator"


def test_a_write_elsewhere_keeps_the_validators_of_other_feeds(world: World) -> None:
    before = world.validators()
    world.carol.post(f"/api/posts/{world.other}/comments", json={"content": "Mine"})
    world.alice.post(f"/api/posts/{world.other}/vote")
    after = world.validators()
    for feed in ("alice", "comments"):
        assert after[feed] == before[feed], feed
    assert after["other comments"] != before["other comments"]


def test_every_feed_is_valid_atom_with_absolute_links_and_tag_ids(world: World) -> None:
    world.bob.post("/api/users/alice/follow")
    private = turn_on_notifications_feed(world.alice, "alice")
    for url in [*world.urls().values(), private]:
        parsed = parse(world.visitor.get(url))
        assert parsed.feed.id.startswith("tag:agora.example,2026:"), url
        assert parsed.feed.link.startswith(BASE + "/"), url
        assert parsed.feed.updated_parsed is not None, url
        assert parsed.entries or url.endswith(f"/{world.other}/comments.atom"), url
        for entry in parsed.entries:
            assert re.fullmatch(r"tag:agora\.example,2026:[a-z]+:\d+", entry.id), entry.id
            assert entry.link.startswith(BASE + "/"), entry.link
            assert entry.updated_parsed is not None and entry.author
    latest = parse(world.visitor.get("/feeds/latest.atom"))
    snakes = next(entry for entry in latest.entries if entry.title == "Snakes")
    assert snakes.id == f"tag:agora.example,2026:post:{world.post}"
    assert snakes.author == "alice"
    assert "<strong>python</strong>" in snakes.content[0].value  # the rendered Markdown
    assert [t.term for t in snakes.tags] == ["python"]
    notes = parse(world.visitor.get(private))
    assert [entry.title for entry in notes.entries] == [
        "bob started following you",
        "bob commented on your post “Snakes”",
    ]


def test_entries_carry_the_sanitised_html_and_escape_every_title(world: World) -> None:
    world.alice.create_post(
        title='<script>alert("t")</script> & co',
        content="<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))",
    )
    response = world.visitor.get("/feeds/latest.atom")
    # Our own answer, parsed without feedparser's cleaning, to see what a reader is sent.
    root = ET.fromstring(response.content)  # noqa: S314
    entry = root.findall(f"{ATOM_NS}entry")[0]
    assert entry.findtext(f"{ATOM_NS}title") == '<script>alert("t")</script> & co'
    content = entry.find(f"{ATOM_NS}content")
    assert content is not None and content.get("type") == "html"
    html = content.text or ""
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, as on the post page


def entry_html(response, title: str) -> str:  # type: ignore[no-untyped-def]
    """The HTML an entry carries, as sent (not as feedparser cleans it)."""
    root = ET.fromstring(response.content)  # noqa: S314
    for entry in root.findall(f"{ATOM_NS}entry"):
        if entry.findtext(f"{ATOM_NS}title") == title:
            return entry.findtext(f"{ATOM_NS}content") or ""
    raise AssertionError(f"no entry {title!r}")


def test_mentions_link_in_feeds_as_on_the_page_under_the_current_name(world: World) -> None:
    world.alice.create_post(title="Hello", content="Thanks @bob, and @nobody_here.")
    world.alice.post(f"/api/posts/{world.post}/comments", json={"content": "Right, @BOB?"})
    link = '<a class="mention" href="/users/{0}">@{0}</a>'
    html = entry_html(world.visitor.get("/feeds/latest.atom"), "Hello")
    assert link.format("bob") in html
    assert "@nobody_here" in html and "/users/nobody_here" not in html  # no such person: text
    comments_feed = world.visitor.get(f"/feeds/posts/{world.post}/comments.atom")
    assert link.format("bob") in entry_html(comments_feed, "alice on “Snakes”")
    # A rename: the feed links the name bob has now, never the old one.
    rename(world, "bob", "robert")
    html = entry_html(world.visitor.get("/feeds/latest.atom"), "Hello")
    assert link.format("robert") in html and "/users/bob" not in html


def test_links_come_from_site_url_never_from_the_host_header(world: World) -> None:
    for url in world.urls().values():
        response = world.visitor.get(url, headers={"Host": "evil.example"})
        assert response.status_code == 200, url
        assert "evil.example" not in response.text, url
        assert f'href="{BASE}/' in response.text, url


def test_drafts_hidden_posts_and_removed_comments_are_not_in_any_feed(world: World) -> None:
    world.alice.create_post(title="Secret draft", published=False)
    posts.hide(session=world.db, post=world.fresh_post(), actor=world.user("carol"), reason="x")
    for url in ["/feeds/latest.atom", "/feeds/top.atom", "/feeds/users/alice.atom"]:
        titles = entry_titles(world.visitor.get(url))
        assert "Secret draft" not in titles and "Snakes" not in titles, url
    # A hidden post's comments feed, and a tag only it carried, are gone like its page.
    assert world.visitor.get(f"/feeds/posts/{world.post}/comments.atom").status_code == 404
    assert world.visitor.get("/feeds/t/python.atom").status_code == 404

    posts.restore(session=world.db, post=world.fresh_post(), actor=world.user("carol"))
    comments.remove(
        session=world.db, comment=world.fresh_comment(), actor=world.user("carol"), reason="x"
    )
    assert entry_titles(world.visitor.get(f"/feeds/posts/{world.post}/comments.atom")) == []
    admin.suspend(session=world.db, actor=world.user("carol"), user=world.user("alice"))
    assert "Snakes" not in entry_titles(world.visitor.get("/feeds/latest.atom"))
    assert world.visitor.get("/feeds/users/alice.atom").status_code == 404


def test_if_none_match_answers_304_without_reading_or_rendering_posts(  # type: ignore[no-untyped-def]
    app, world: World, monkeypatch
) -> None:
    def no_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a 304 renders nothing")

    for name, url in world.urls().items():
        first = world.visitor.get(url)
        tag = first.headers["etag"]
        assert tag.startswith('"') and first.headers["last-modified"].endswith(" GMT")
        monkeypatch.setattr(web_feeds, "_answer", no_render)
        with count_statements(app.state.engine) as statements:
            again = world.visitor.get(url, headers={"If-None-Match": tag})
        monkeypatch.undo()
        assert again.status_code == 304, url
        assert again.content == b"" and again.headers["etag"] == tag
        assert again.headers["last-modified"] == first.headers["last-modified"]
        read = " ".join(statements).lower()
        assert "post_tag" not in read and "from comment" not in read, (name, statements)
        if "comments" not in name:  # a comments feed checks its post by key first
            assert "from post" not in read, (name, statements)
        assert len(statements) <= 3, (name, statements)
        assert world.visitor.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_top_changes_its_validator_every_hour(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    now = utcnow().replace(minute=10)
    monkeypatch.setattr(web_feeds, "utcnow", lambda: now)
    first = world.visitor.get("/feeds/top.atom").headers["etag"]
    monkeypatch.setattr(web_feeds, "utcnow", lambda: now + timedelta(minutes=30))
    assert world.visitor.get("/feeds/top.atom").headers["etag"] == first  # the same hour
    monkeypatch.setattr(web_feeds, "utcnow", lambda: now + timedelta(hours=1))
    assert world.visitor.get("/feeds/top.atom").headers["etag"] != first


def test_an_old_tag_name_answers_301_to_its_feed(world: World) -> None:
    tags.rename(session=world.db, tag=world.tag(), actor=world.user("carol"), name="snakes")
    moved = world.visitor.get("/feeds/t/python.atom")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/feeds/t/snakes.atom"
    assert entry_titles(world.visitor.get("/feeds/t/snakes.atom")) == ["Snakes"]
    assert world.visitor.get("/feeds/t/nothing-here.atom").status_code == 404
    assert world.visitor.get("/feeds/t/Bad!Name.atom").status_code == 404


def test_public_feeds_may_be_stored_but_are_checked_each_time(world: World) -> None:
    for url in world.urls().values():
        response = world.visitor.get(url)
        assert response.headers["cache-control"] == "no-cache", url
        assert "x-content-type-options" in response.headers
    # Other pages are not stored (the shared anonymous pages have their own test).
    assert world.visitor.get("/login").headers["cache-control"] == "no-store"


def test_each_page_links_its_feed(world: World) -> None:
    for page, feed in [
        ("/", "/feeds/latest.atom"),
        ("/top", "/feeds/top.atom"),
        ("/users/alice", "/feeds/users/alice.atom"),
        ("/t/python", "/feeds/t/python.atom"),
        (f"/posts/{world.post}", f"/feeds/posts/{world.post}/comments.atom"),
    ]:
        html = world.visitor.get(page).text
        link = r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="{}">'
        assert re.search(link.format(re.escape(feed)), html), page


def test_sec08_notifications_feed_is_private_no_cache_and_its_secret_stored_hashed(
    world: World, db: Session
) -> None:
    world.bob.post("/api/users/alice/follow")
    path = turn_on_notifications_feed(world.alice, "alice")
    token = path.removeprefix("/feeds/notifications/").removesuffix(".atom")
    alice = world.user("alice")
    assert alice.feed_token_hash == token_hash(token) and token not in alice.feed_token_hash
    # The account page never shows the address again.
    assert token not in world.alice.client.get("/account/notifications").text

    feed = world.visitor.get(path)
    assert entry_titles(feed) == [
        "bob started following you",
        "bob commented on your post “Snakes”",
    ]
    assert feed.headers["cache-control"] == "private, no-cache"
    again = world.visitor.get(path, headers={"If-None-Match": feed.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "private, no-cache"
    # A new notification is a new validator.
    world.carol.post("/api/users/alice/follow")
    assert (
        world.visitor.get(path, headers={"If-None-Match": feed.headers["etag"]}).status_code == 200
    )
    # Another member's hidden or removed things never show: the inbox's own visibility rule.
    admin.suspend(session=db, actor=world.user("carol"), user=world.user("bob"))
    assert entry_titles(world.visitor.get(path)) == ["carol started following you"]
    assert world.visitor.get("/feeds/notifications/not-a-token.atom").status_code == 404


def test_the_notifications_feed_address_is_regenerated_and_revoked(world: World) -> None:
    old = turn_on_notifications_feed(world.alice, "alice")
    assert world.visitor.get(old).status_code == 200
    new = turn_on_notifications_feed(world.alice, "alice")
    assert new != old
    assert world.visitor.get(old).status_code == 404
    assert world.visitor.get(new).status_code == 200

    client = world.alice.client
    page = client.get("/account/notifications")
    assert "Turn the feed off" in page.text
    revoked = client.post(
        "/account/notifications/feed/revoke", data={"csrf_token": csrf_from(page.text)}
    )
    assert revoked.status_code == 303
    assert world.visitor.get(new).status_code == 404
    assert world.user("alice").feed_token_hash is None
    # Without the CSRF token nothing changes (SECURITY.md row 9).
    assert client.post("/account/notifications/feed").status_code == 403
    assert world.user("alice").feed_token_hash is None


def test_a_deactivated_members_notifications_feed_is_gone(world: World) -> None:
    path = turn_on_notifications_feed(world.alice, "alice")
    admin.suspend(session=world.db, actor=world.user("carol"), user=world.user("alice"))
    assert world.visitor.get(path).status_code == 404


def test_feeds_answer_with_the_site_url_of_the_settings(make_app) -> None:  # type: ignore[no-untyped-def]
    other = make_app(site_url="https://elsewhere.example/agora")
    with TestClient(other) as client:
        body = client.get("/feeds/latest.atom").text
    assert 'href="https://elsewhere.example/agora/feeds/latest.atom"' in body
    assert "<id>tag:elsewhere.example,2026:latest</id>" in body
