"""Pages anonymous visitors share: rendered once per change of what they show, 304 for a
browser that has the page, and never a page with someone's session, message or cookie in it."""

from tests.conftest import post_id_from
from tests.test_admin_posts import hide
from tests.test_comments import comment_on
from tests.test_query_count import count_statements


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
        assert statements == 1  # the site's change counter, nothing else
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
