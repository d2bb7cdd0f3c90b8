"""Pages anonymous visitors share: rendered once per change of what they show, 304 for a
browser that has the page, and never a page with someone's session, message or cookie in it."""

from fastapi import Request

from app.templating import render
from app.web import shared
from tests.conftest import csrf_from, get_user, post_id_from
from tests.test_admin_posts import hide
from tests.test_admin_users import suspend
from tests.test_blocks import silence
from tests.test_comments import comment_on
from tests.test_follows import counts
from tests.test_query_count import count_statements
from tests.test_tags import write


def view(app, client, url: str, **headers: str):  # type: ignore[no-untyped-def]
    with count_statements(app.state.engine) as statements:
        response = client.get(url, headers=headers)
    return response, len(statements)


def test_a_second_anonymous_view_is_served_from_memory(app, alice, browser):
    post_id = post_id_from(alice.create_post("Shared", "Once rendered"))
    for url in ("/", f"/posts/{post_id}", "/top"):
        first, _ = view(app, browser, url)
        again, statements = view(app, browser, url)
        assert first.status_code == again.status_code == 200
        assert again.text == first.text and "Shared" in again.text
        assert statements == 1  # the site's change counters (on SQLite: whether they moved)
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["cache-control"] == "no-cache"
        assert again.headers["vary"] == "Cookie"
        assert "set-cookie" not in again.headers


def test_a_browser_with_the_page_gets_304_without_a_render(app, alice, browser):
    alice.create_post("Cached", "x")
    tag = browser.get("/").headers["etag"]
    response, statements = view(app, browser, "/", **{"If-None-Match": tag})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == tag
    assert statements == 1


def test_every_change_people_can_see_makes_a_new_page(app, alice, bob, browser, moderator):
    post_id = post_id_from(alice.create_post("Original title", "x"))
    url = f"/posts/{post_id}"

    def fresh_after(change) -> str:  # type: ignore[no-untyped-def]
        before = browser.get(url).headers["etag"]
        change()
        response = browser.get(url, headers={"If-None-Match": before})
        assert response.status_code == 200, "a change left the old page in place"
        return response.text

    voted = fresh_after(lambda: bob.submit(f"/posts/{post_id}/vote", page=url))
    assert "1 vote" in voted and "0 votes" not in voted
    assert "A reply" in fresh_after(lambda: comment_on(bob, post_id, "A reply"))
    assert "New title" in fresh_after(
        lambda: alice.submit(
            f"/posts/{post_id}/edit",
            {"title": "New title", "content": "x", "published": "1"},
            page=f"/posts/{post_id}/edit",
        )
    )
    before = browser.get("/").text
    assert "New title" in before
    hide(moderator, [post_id], next="/admin/posts")
    assert "New title" not in browser.get("/").text
    assert browser.get(url).status_code == 404


def test_logged_in_people_and_pending_messages_never_get_a_shared_page(app, alice, browser):
    alice.create_post("Mine", "x")
    anonymous = browser.get("/").text
    mine = alice.get("/")
    assert "etag" not in mine.headers and mine.text != anonymous
    assert "Log out" in mine.text and "Log out" not in anonymous
    # A message waiting in a cookie is this visitor's own: the page renders for them.
    browser.cookies.set("agora_flash", "anything")
    response = browser.get("/")
    assert "etag" not in response.headers


def test_pages_are_kept_apart_by_host(app, alice, make_browser):
    alice.create_post("Hosted", "x")
    one = make_browser(base_url="http://one.example").get("/")
    two = make_browser(base_url="http://two.example").get("/")
    assert one.headers["etag"] != two.headers["etag"]


# --- the front door: kept pages answered before routing -------------------------------------
SHARED_URLS = ("/", "/top", "/feeds/latest.atom", "/feeds/top.atom", "/t/python", "/t/python/top")


def routed_views(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The URLs whose request reached a route's `shared.answer` from now on."""
    reached: list[str] = []
    real = shared.answer

    async def spy(request, *args, **kwargs):  # type: ignore[no-untyped-def]
        reached.append(request.url.path)
        return await real(request, *args, **kwargs)

    monkeypatch.setattr(shared, "answer", spy)
    return reached


def test_a_kept_page_is_answered_before_routing_exactly_as_the_route_answers(
    app, alice, make_browser, monkeypatch
):
    post_id = post_id_from(write(alice, "Kept whole", "python"))
    visitor = make_browser()
    urls = (*SHARED_URLS, f"/posts/{post_id}")
    for url in urls:
        assert visitor.get(url).status_code == 200, url  # the route renders it, and keeps it
    reached = routed_views(monkeypatch)
    # A stale session cookie is no one's: the route shares the page, the long way round.
    stale = make_browser()
    stale.cookies.set("agora_session", "expired-or-forged")
    for url in urls:
        front = visitor.get(url)
        assert url not in reached, f"{url} went through the routes"
        routed = stale.get(url)
        assert reached.count(url) == 1, url
        assert front.status_code == routed.status_code == 200
        assert front.content == routed.content, url
        ours, theirs = dict(front.headers), dict(routed.headers)
        ours.pop("x-request-id"), theirs.pop("x-request-id")
        assert ours == theirs, url
        tag = front.headers["etag"]
        again = visitor.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", url
        assert reached.count(url) == 1, f"{url}'s 304 went through the routes"


def test_the_front_door_never_answers_a_session_a_message_or_a_new_version(
    app, alice, bob, make_browser, monkeypatch
):
    post_id = post_id_from(write(alice, "Front door", "python"))
    visitor = make_browser()
    visitor.get("/")
    reached = routed_views(monkeypatch)
    members = bob.get("/")  # with a message waiting (bob has just signed up)
    assert "Log out" in members.text and "etag" not in members.headers
    flashed = make_browser()
    flashed.cookies.set("agora_flash", "anything")
    assert "etag" not in flashed.get("/").headers
    assert reached == [], "a member's page, or one with a message waiting, is never shared"
    bob.submit(f"/posts/{post_id}/vote", page="/account")  # a page never kept
    assert "1 vote" in visitor.get("/").text  # the counter moved: rendered again
    assert reached == ["/"]
    head = visitor.client.head("/")
    assert head.status_code == 200 and head.content == b""


def test_a_visitors_tag_page_changes_with_its_posts_description_and_name(
    app, alice, moderator, make_browser
):
    post_id = post_id_from(write(alice, "First python post", "python"))
    visitor = make_browser()

    def changed(url: str, change) -> str:  # type: ignore[no-untyped-def]
        before = visitor.get(url)
        assert before.status_code == 200
        change()
        after = visitor.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code != 304, "a change left the old page in place"
        return after.text

    assert "Second python post" in changed(
        "/t/python", lambda: write(alice, "Second python post", "python")
    )
    described = changed(
        "/t/python",
        lambda: moderator.submit(
            "/t/python/describe", {"description": "Snakes."}, page="/t/python"
        ),
    )
    assert "Snakes." in described
    hidden = changed("/t/python", lambda: hide(moderator, [post_id], next="/admin/posts"))
    assert "First python post" not in hidden and "1 post" in hidden
    renamed = visitor.get("/t/python/top")
    assert renamed.status_code == 200
    moderator.submit("/t/python/rename", {"new_name": "snakes"}, page="/t/python")
    for url in ("/t/python", "/t/python/top"):
        moved = visitor.get(url)
        assert moved.status_code == 301 and moved.headers["location"].startswith("/t/snakes")


def test_a_visitors_profile_is_shared_and_changes_with_what_it_shows(
    app, alice, bob, admin, db, make_browser
):
    post_id_from(alice.create_post("First by Alice", "x"))
    visitor = make_browser()
    first, _ = view(app, visitor, "/users/alice")
    again, statements = view(app, visitor, "/users/alice")
    assert first.status_code == again.status_code == 200 and again.text == first.text
    assert statements == 2  # the site's counters and the account's: no render
    assert again.headers["vary"] == "Cookie" and "set-cookie" not in again.headers
    assert "csrf_token" not in again.text  # nobody's form token in a page for everyone
    validator = {"If-None-Match": first.headers["etag"]}
    kept, statements = view(app, visitor, "/users/alice", **validator)
    assert kept.status_code == 304 and statements == 2

    def changed(change) -> str:  # type: ignore[no-untyped-def]
        before = visitor.get("/users/alice")
        assert before.status_code == 200
        change()
        after = visitor.get("/users/alice", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code != 304, "a change left the old page in place"
        return after.text

    # A follow moves only the two accounts' counters, not the site's.
    assert counts(changed(lambda: bob.submit("/users/alice/follow", page="/users/alice"))) == (1, 0)
    assert "Beans." in changed(
        lambda: alice.submit("/account/bio", {"bio": "Beans."}, page="/account/profile")
    )
    assert "Second by Alice" in changed(lambda: alice.create_post("Second by Alice", "x"))
    # A follower whose account is suspended leaves the count (the site's counter).
    assert counts(changed(lambda: suspend(admin, get_user(db, "bob").id))) == (0, 0)
    suspend(admin, get_user(db, "alice").id)
    assert visitor.get("/users/alice").status_code == 404
    # Someone else's profile is its own page, with its own version.
    assert visitor.get("/users/nobody").status_code == 404


def test_a_page_with_a_form_token_is_never_kept_even_without_a_cookie_set(app, make_browser):
    """A visitor who holds a pre-session gets their form token with no Set-Cookie; a shared
    page that showed a form would otherwise keep that token for everyone who comes next."""

    async def with_a_form(request: Request):  # type: ignore[no-untyped-def]
        async def page():  # type: ignore[no-untyped-def]
            return render(request, "auth/forgot.html", {"form": {}, "error": None, "sent": None})

        return await shared.answer(request, page)

    app.add_api_route("/shared-with-a-form", with_a_form)
    holder = make_browser()
    holder.get("/login")  # starts a pre-session
    assert "agora_presession" in holder.cookies
    first = holder.get("/shared-with-a-form")
    assert first.status_code == 200 and "set-cookie" not in first.headers
    token = first.text.split('name="csrf_token" value="')[1].split('"')[0]
    stranger = make_browser().get("/shared-with-a-form")
    assert token not in stranger.text
    assert "etag" not in first.headers


def test_urls_walked_once_push_out_the_least_used_recipe_not_the_busiest(monkeypatch):
    monkeypatch.setattr(shared, "MAX_RECIPES", 3)
    pages = shared.SharedPages()

    def url(path: str) -> shared.Key:
        return ("http", "testserver", path, "")

    def keep(path: str) -> None:
        pages.put(("tag", url(path), ""), shared._Page(b"x", "text/html"), shared.Recipe())

    keep("/")
    for n in range(5):  # a crawler, while people keep asking for the feed
        assert pages.recipe(url("/")) is not None
        keep(f"/users/walker{n}")
    assert pages.recipe(url("/")) is not None
    assert pages.recipe(url("/users/walker0")) is None


# --- members' pages: kept once per version and kind of member, with holes -------------------
def drawn_whole(app, members, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Each member's page drawn the long way, with no page kept (as in development)."""
    pages, app.state.shared_pages = app.state.shared_pages, None
    try:
        return [member.get(url).text for member in members]
    finally:
        app.state.shared_pages = pages


def read_messages(*members) -> None:  # type: ignore[no-untyped-def]
    """Each member opens a page, so no message waits for their next one."""
    for member in members:
        assert member.get("/account").status_code == 200
    assert not any("agora_flash" in member.cookies for member in members)


def menu_of(html: str) -> str:
    """Whose name the header's menu shows."""
    return html.split('<summary class="me">')[1].split('title="')[1].split('"')[0]


def test_a_members_kept_page_is_exactly_the_page_drawn_for_them(
    app, alice, bob, moderator, monkeypatch
):
    mine = post_id_from(alice.create_post("By Alice", "x"))
    post_id_from(bob.create_post("By Bob", "x"))
    bob.submit(f"/posts/{mine}/vote", page=f"/posts/{mine}")
    comment_on(bob, mine, "A word for Alice")
    members = (alice, bob, moderator)
    read_messages(*members)
    for url in ("/", "/top"):
        reached = routed_views(monkeypatch)
        first = [member.get(url) for member in members]
        # Drawn with holes for Alice, and kept: Bob's from it at the front door (both have
        # yet to confirm their address); the moderator's is a page of its own.
        assert reached == [url] * 2
        kept = [member.get(url) for member in members]
        assert reached == [url] * 2, "a kept member's page went through the routes"
        assert [r.text for r in first] == [r.text for r in kept]
        assert [r.text for r in kept] == drawn_whole(app, members, url)
        texts = [r.text for r in kept]
        assert [menu_of(t) for t in texts] == ["alice", "bob", "mod"]
        assert [csrf_from(t) for t in texts] == [member.token("/account") for member in members]
        assert len({csrf_from(t) for t in texts}) == 3
        assert [t.count('href="/admin"') for t in texts] == [0, 0, 1]
        # Bob's vote and comment, in Alice's header only.
        assert '<span class="badge">2<' in texts[0] and 'class="badge"' not in texts[1]
        for response in kept:
            assert "etag" not in response.headers and "set-cookie" not in response.headers
            assert response.headers["cache-control"] == "no-store"
        assert not any(hole in t for t in texts for hole in ("hole", "nav-slot-token"))
        # Bob's page marks his vote; Alice's own post has no button for her.
        assert [t.count('aria-pressed="true"') for t in texts] == [0, 1, 0]


def test_what_differs_per_member_follows_them_on_a_kept_page(app, alice, bob, monkeypatch):
    bobs_post = post_id_from(bob.create_post("Bob writes", "x"))
    read_messages(alice, bob)
    assert 'class="badge"' not in alice.get("/").text
    reached = routed_views(monkeypatch)
    bob.submit("/users/alice/follow", page="/users/alice")  # the site's pages stay as they are
    assert '<span class="badge">1<' in alice.get("/").text
    assert reached == [], "the same kept page, with Alice's new count"
    alice.submit(f"/posts/{bobs_post}/vote", page="/")
    read_messages(alice, bob)
    assert alice.get("/").text.count('aria-pressed="true"') == 1
    assert bob.get("/").text.count('aria-pressed="true"') == 0


def test_members_whose_feed_is_their_own_go_the_long_way(app, alice, bob):
    post_id_from(bob.create_post("Bob writes", "x"))
    assert "Bob writes" in alice.get("/").text  # kept for members
    silence(alice, "bob", "block")
    page = alice.get("/").text  # the message waits for the next page, wherever it is
    assert "You blocked bob. They are not told." in page and "Bob writes" not in page
    assert "Bob writes" not in alice.get("/").text
    assert "Bob writes" in bob.get("/").text


def test_the_verify_banner_is_kept_only_for_members_who_have_not_confirmed(app, alice, moderator):
    alice.create_post("Shown to all", "x")
    for _ in range(2):
        assert "Please confirm your email address" in alice.get("/").text
        assert "Please confirm your email address" not in moderator.get("/").text


def test_a_members_kept_post_page_is_exactly_the_page_drawn_for_them(
    app, alice, bob, moderator, monkeypatch
):
    post_id = post_id_from(alice.create_post("Alice asks", "x"))
    url = f"/posts/{post_id}"
    alices = comment_on(alice, post_id, "First, by Alice")
    bobs = comment_on(bob, post_id, "A reply by Bob", parent_id=alices)
    bob.submit(f"/comments/{alices}/vote", page="/account")
    bob.submit(f"{url}/vote", page="/account")
    bob.submit(f"{url}/bookmark", page="/account")
    members = (alice, bob, moderator)
    read_messages(*members)
    reached = routed_views(monkeypatch)
    first = [member.get(url) for member in members]
    assert reached == [url] * 2  # Alice's drawn and kept (Bob's from it), the moderator's
    kept = [member.get(url) for member in members]
    assert reached == [url] * 2, "a kept member's post page went through the routes"
    texts = [r.text for r in kept]
    assert [r.text for r in first] == texts == drawn_whole(app, members, url)
    assert [menu_of(t) for t in texts] == ["alice", "bob", "mod"]
    assert [csrf_from(t) for t in texts] == [member.token("/account") for member in members]
    # Bob's votes on the post and on Alice's comment, his bookmark; the author's buttons.
    assert [t.count('aria-pressed="true"') for t in texts] == [0, 3, 0]
    assert [t.count("Bookmarked (remove)") for t in texts] == [0, 1, 0]
    assert [t.count(f'href="{url}/edit"') for t in texts] == [1, 0, 0]
    assert [t.count(f'href="/comments/{alices}/edit"') for t in texts] == [1, 0, 0]
    assert [t.count(f'href="/comments/{bobs}/edit"') for t in texts] == [0, 1, 0]
    assert [t.count("/remove") for t in texts] == [0, 0, 2]
    assert not any(hole in t for t in texts for hole in ("hole", "slot-token"))
    # A bookmark moves no page's version: the same kept page, with Alice's own.
    alice.submit(f"{url}/bookmark", page="/account")
    read_messages(alice)
    assert "Bookmarked (remove)" in alice.get(url).text
    assert reached == [url] * 2


def test_a_post_only_its_author_may_see_is_never_kept_for_members(app, alice, bob):
    draft = post_id_from(alice.create_post("A draft by Alice", "x", published=False))
    read_messages(alice, bob)
    for _ in range(2):
        page = alice.get(f"/posts/{draft}")
        assert page.status_code == 200 and "A draft by Alice" in page.text
        assert bob.get(f"/posts/{draft}").status_code == 404
    kept_urls = {key[1][2] for key in app.state.shared_pages.pages}
    assert f"/posts/{draft}" not in kept_urls
    published = post_id_from(alice.create_post("Public", "x"))
    assert "Public" in bob.get(f"/posts/{published}").text
    silence(alice, "bob", "block")  # the author blocks Bob: their posts are gone for him
    read_messages(alice, bob)
    assert bob.get(f"/posts/{published}").status_code == 404


def test_a_members_page_counts_the_comments_it_holds_against_the_memory_bound(monkeypatch):
    monkeypatch.setattr(shared, "MAX_BYTES", 1_000)
    pages = shared.SharedPages()
    key = ("http", "testserver", "/posts/1", "")
    words = "<p>" + "a long comment " * 40 + "</p>"  # 606 characters, held by the page's hole
    page = shared._MembersPage(("<html>", "c7", "</html>"), {"c7": ((), 2, words)})
    assert page.size > len(words)
    pages.put(("one", key, "user"), page, shared.Recipe(members=True))
    pages.put(("two", key, "user"), page, shared.Recipe(members=True))
    assert pages.get(("one", key, "user")) is None, "two such pages are over the bound"
    assert pages.get(("two", key, "user")) is page
