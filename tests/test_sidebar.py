"""The feed's side column: about the site, top tags, people to follow; counted rarely."""

import re

from app.services import sidebar
from tests.test_blocks import silence
from tests.test_query_count import count_statements


def side_of(html: str) -> str:
    found = re.search(r'<aside class="side-column".*?</aside>', html, re.S)
    assert found, "no side column"
    return found.group(0)


def test_the_feed_has_a_side_column_with_top_tags_and_people(alice, bob, make_browser):
    for n in range(3):
        alice.submit(
            "/posts",
            {
                "title": f"P{n}",
                "content": "x",
                "published": "1",
                "tags": "python" if n else "python gardening",
            },
            page="/posts/new",
        )
    # Before any feed view: the first one fills the side column for the next half minute.
    bob.submit("/users/alice/follow", page="/users/alice")
    visitor = make_browser()
    side = side_of(visitor.get("/").text)
    assert "About Agora" in side and 'href="/register"' in side
    tags = re.findall(r'href="/t/([a-z0-9-]+)">', side)
    assert tags == ["python", "gardening"]  # most used first
    assert 'href="/users/alice"' in side and "1 follower" in side
    assert 'href="/users/bob"' not in side  # nobody follows bob
    for url in ("/top", "/following"):
        assert "Top tags" in side_of(bob.get(url).text)
    assert 'href="/register"' not in side_of(bob.get("/").text)


def test_the_side_column_is_counted_again_only_when_the_site_changed(app, alice, bob, monkeypatch):
    # Signed in, and muting someone: a feed drawn for Alice alone on every view (a visitor's,
    # or a member's with nothing muted, is a kept page: app.web.shared).
    silence(alice, "bob", "mute")
    clock = [1000.0]
    monkeypatch.setattr(sidebar.time, "monotonic", lambda: clock[0])
    alice.get("/")
    with count_statements(app.state.engine) as within_ttl:
        alice.get("/")
    # The session (with the unread count), the feed's rows and the viewer's votes: nothing for
    # the side.
    assert len(within_ttl) == 3
    clock[0] += sidebar.TTL + 1
    with count_statements(app.state.engine) as unchanged:
        alice.get("/")
    assert len(unchanged) == 4  # and one look at the site's change counter
    alice.submit(
        "/posts",
        {"title": "T", "content": "x", "published": "1", "tags": "fresh"},
        page="/posts/new",
    )
    assert "fresh" not in side_of(alice.get("/").text)  # within the TTL: as it was
    clock[0] += sidebar.TTL + 1
    assert 'href="/t/fresh"' in side_of(alice.get("/").text)


def test_a_shared_page_never_keeps_a_side_column_older_than_its_ttl(
    app, alice, browser, monkeypatch
):
    # A visitor's feed is kept whole until the site changes; the side column it shows lags
    # writes by up to the TTL, and the kept page follows it once the TTL is over.
    clock = [1000.0]
    monkeypatch.setattr(sidebar.time, "monotonic", lambda: clock[0])
    browser.get("/")
    alice.submit(
        "/posts",
        {"title": "T", "content": "x", "published": "1", "tags": "fresh"},
        page="/posts/new",
    )
    within = browser.get("/")
    assert "fresh" not in side_of(within.text)  # within the TTL: as it was
    clock[0] += sidebar.TTL + 1
    after = browser.get("/", headers={"If-None-Match": within.headers["etag"]})
    assert after.status_code == 200 and 'href="/t/fresh"' in side_of(after.text)
    again = browser.get("/", headers={"If-None-Match": after.headers["etag"]})
    assert again.status_code == 304  # and kept from then on, until the next change
