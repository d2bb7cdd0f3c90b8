"""Mutes and blocks: every surface leaves out whom the viewer muted or blocked (and who blocked
them), threads fold their comments, they stop notifying, and a block refuses replies and follows."""

import re

import pytest
from sqlmodel import Session, select

from app.auth import SESSION_COOKIE
from app.models import Block, Follow, Notification
from app.services import sessions
from tests.conftest import PASSWORD, get_user, post_id_from
from tests.test_comments import comment_on
from tests.test_notifications import carol, listed, unread_badge  # noqa: F401

KINDS = ("mute", "block")
UNDO = {"mute": "unmute", "block": "unblock"}


def titles(html: str) -> list[str]:
    found = re.findall(r'<a href="/posts/\d+">(.*?)</a>', html)
    return [re.sub(r"</?mark>", "", title) for title in found]


def silence(browser, username: str, kind: str):  # type: ignore[no-untyped-def]
    response = browser.submit(f"/users/{username}/{kind}", page=f"/users/{username}")
    assert response.status_code == 303, response.text
    return response


def block_rows(db: Session) -> set[tuple[str, str, str]]:
    db.expire_all()
    names = {u.id: u.username for u in (get_user(db, n) for n in ("alice", "bob"))}
    return {(names[b.user_id], names[b.other_id], b.kind) for b in db.exec(select(Block)).all()}


@pytest.fixture
def bobs_post(bob) -> int:  # type: ignore[no-untyped-def]
    data = {"title": "Bob grows tomatoes", "content": "Tomatoes need sun.", "tags": "garden"}
    data["published"] = "1"
    return post_id_from(bob.submit("/posts", data, page="/posts/new"))


# --- from a profile, and undone on the account page -----------------------------------------------


def test_mute_then_block_from_a_profile_and_undo_on_the_account_page(alice, bob, db):
    page = alice.get("/users/bob").text
    assert 'action="/users/bob/mute"' in page and 'action="/users/bob/block"' in page
    silence(alice, "bob", "mute")
    page = alice.get("/users/bob").text
    assert "You muted bob" in page and 'action="/users/bob/unmute"' in page
    assert block_rows(db) == {("alice", "bob", "mute")}
    silence(alice, "bob", "block")
    page = alice.get("/users/bob").text
    assert "You blocked bob" in page and 'action="/users/bob/unblock"' in page
    assert 'action="/users/bob/follow"' not in page
    assert block_rows(db) == {("alice", "bob", "block")}

    listing = alice.get("/account/blocks").text
    assert 'href="/account/blocks"' in alice.get("/account").text
    assert '<a href="/users/bob">bob</a>' in listing and "blocked" in listing
    response = alice.submit(
        "/users/bob/unblock", {"next": "/account/blocks"}, page="/account/blocks"
    )
    assert response.headers["location"] == "/account/blocks"
    assert "You mute or block nobody" in alice.get("/account/blocks").text
    assert block_rows(db) == set()


@pytest.mark.parametrize("kind", KINDS)
def test_nobody_mutes_or_blocks_themselves_and_unknown_people_are_404(alice, db, kind):
    response = alice.submit(f"/users/alice/{kind}", page="/users/alice")
    assert response.status_code == 400 and f"You cannot {kind} yourself." in response.text
    assert alice.submit(f"/users/nobody/{kind}", page="/").status_code == 404
    assert db.exec(select(Block)).all() == []


def test_muting_needs_a_login_and_the_form_token(browser, alice, bob, db):
    response = browser.submit("/users/bob/mute", page="/login")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert alice.client.post("/users/bob/block", data={}).status_code == 403
    assert db.exec(select(Block)).all() == []


# --- feeds, tag pages and search ----------------------------------------------------------------

SURFACES = ["/", "/top", "/following", "/t/garden", "/t/garden/top", "/search?q=tomatoes"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", SURFACES)
def test_their_posts_leave_every_listing_and_come_back_on_undo(alice, bob, bobs_post, kind, path):
    alice.submit("/users/bob/follow", page="/users/bob")
    assert "Bob grows tomatoes" in titles(alice.get(path).text)
    silence(alice, "bob", kind)
    assert "Bob grows tomatoes" not in titles(alice.get(path).text)
    silence(alice, "bob", UNDO[kind])
    if path == "/following" and kind == "block":
        alice.submit("/users/bob/follow", page="/users/bob")  # the block ended the follow
    assert "Bob grows tomatoes" in titles(alice.get(path).text)


@pytest.mark.parametrize("path", SURFACES)
def test_a_blocked_viewer_no_longer_finds_the_blockers_posts(alice, bob, bobs_post, path):
    alice.submit("/users/bob/follow", page="/users/bob")
    silence(bob, "alice", "block")
    assert "Bob grows tomatoes" not in titles(alice.get(path).text)
    alice.logout()
    if path != "/following":
        assert "Bob grows tomatoes" in titles(alice.get(path).text)  # visitors still see it


@pytest.mark.parametrize("kind", KINDS)
def test_their_comments_leave_comment_search(alice, bob, carol, kind):  # noqa: F811
    post_id = post_id_from(carol.create_post("Carol's plot", "Beans."))
    comment_on(bob, post_id, "Marigolds keep the aphids off")
    assert "aphids" in alice.get("/search/comments?q=aphids").text.lower()
    silence(alice, "bob", kind)
    assert "Marigolds" not in alice.get("/search/comments?q=aphids").text
    assert "Marigolds" not in alice.get("/search?q=aphids").text
    silence(alice, "bob", UNDO[kind])
    assert "Marigolds" in alice.get("/search/comments?q=aphids").text


def test_comments_on_a_blockers_post_leave_their_comment_search(alice, bob, carol):  # noqa: F811
    post_id = post_id_from(bob.create_post("Bob's plot", "Beans."))
    comment_on(carol, post_id, "Marigolds keep the aphids off")
    silence(bob, "alice", "block")
    assert "Marigolds" not in alice.get("/search/comments?q=aphids").text
    assert "Marigolds" in carol.get("/search/comments?q=aphids").text


# --- threads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_their_comments_fold_to_one_line_and_the_thread_keeps_its_shape(
    alice,
    bob,
    carol,  # noqa: F811
    kind,
):
    post_id = post_id_from(carol.create_post("Carol's plot", "Beans."))
    first = comment_on(bob, post_id, "Plant marigolds between them.")
    comment_on(carol, post_id, "Good idea, thank you!", parent_id=first)
    silence(alice, "bob", kind)
    page = alice.get(f"/posts/{post_id}").text
    assert "A comment by bob, whom you muted or blocked</summary>" in page
    assert page.count('<details class="comment-folded">') == 1
    assert f'id="comment-{first}"' in page and "Good idea, thank you!" in page
    assert "A comment by bob" not in carol.get(f"/posts/{post_id}").text
    assert "A comment by bob" in alice.get(f"/comments/{first}/thread").text
    silence(alice, "bob", UNDO[kind])
    assert "A comment by bob" not in alice.get(f"/posts/{post_id}").text


def test_a_blocked_person_cannot_reply_to_the_blockers_comments(alice, bob, carol, db):  # noqa: F811
    post_id = post_id_from(carol.create_post("Carol's plot", "Beans."))
    mine = comment_on(alice, post_id, "Water in the morning.")
    silence(alice, "bob", "block")
    form = {"content": "No, at night!", "parent_id": str(mine)}
    response = bob.submit(f"/posts/{post_id}/comments", form, page=f"/posts/{post_id}")
    assert response.status_code == 403 and "You can&#39;t reply here." in response.text
    assert "No, at night!" not in carol.get(f"/posts/{post_id}").text
    comment_on(bob, post_id, "On the post itself, fine.")  # carol did not block him


def test_a_blocked_person_cannot_comment_on_the_blockers_posts(alice, bob):
    post_id = post_id_from(alice.create_post("Alice's plot", "Beans."))
    silence(alice, "bob", "block")
    form = {"content": "Let me in"}
    response = bob.submit(f"/posts/{post_id}/comments", form, page="/")
    assert response.status_code == 404  # to him the post is not there at all
    assert "Let me in" not in alice.get(f"/posts/{post_id}").text


def test_a_mute_refuses_nothing(alice, bob):
    post_id = post_id_from(alice.create_post("Alice's plot", "Beans."))
    silence(alice, "bob", "mute")
    comment_on(bob, post_id, "Still welcome")
    assert bob.get(f"/posts/{post_id}").status_code == 200


# --- post access --------------------------------------------------------------------------------


def test_the_blockers_posts_answer_404_to_the_blocked_viewer_only(alice, bob, carol, make_api):  # noqa: F811
    post_id = post_id_from(alice.create_post("Alice's plot", "Beans."))
    silence(alice, "bob", "block")
    assert bob.get(f"/posts/{post_id}").status_code == 404
    assert carol.get(f"/posts/{post_id}").status_code == 200
    assert alice.get(f"/posts/{post_id}").status_code == 200
    bob_api = make_api()
    bob_api.log_in("bob")
    assert bob_api.get(f"/api/posts/{post_id}").status_code == 404
    assert bob_api.get(f"/api/posts/{post_id}/comments").status_code == 404
    assert bob_api.post(f"/api/posts/{post_id}/vote").status_code == 404
    assert "Alice&#39;s plot" not in bob.get("/users/alice").text
    bob.logout()
    assert bob.get(f"/posts/{post_id}").status_code == 200  # logged out, as anyone
    alice.submit("/users/bob/unblock", page="/users/bob")
    bob.login("bob@example.com")
    assert bob.get(f"/posts/{post_id}").status_code == 200


def test_a_mute_hides_nothing_from_the_muted(alice, bob):
    post_id = post_id_from(alice.create_post("Alice's plot", "Beans."))
    silence(alice, "bob", "mute")
    assert bob.get(f"/posts/{post_id}").status_code == 200
    assert "Alice&#39;s plot" in bob.get("/").text


# --- notifications ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_they_no_longer_notify_and_their_unread_ones_are_marked_read(alice, bob, carol, db, kind):  # noqa: F811
    post_id = post_id_from(alice.create_post("Alice's plot", "Beans."))
    comment_on(bob, post_id, "Nice plot")
    comment_on(carol, post_id, "Lovely")
    assert unread_badge(alice) == "2"
    silence(alice, "bob", kind)
    assert unread_badge(alice) == "1"  # carol's stays unread; bob's was marked read
    db.expire_all()
    bob_id = get_user(db, "bob").id
    rows = db.exec(select(Notification).where(Notification.actor_id == bob_id)).all()
    assert rows and all(row.read_at is not None for row in rows)

    other = post_id_from(carol.create_post("Carol's plot", "Beans."))
    mine = comment_on(alice, other, "Thanks @carol")
    if kind == "mute":
        comment_on(bob, post_id, "Again, @alice")
        comment_on(bob, other, "Reply", parent_id=mine)
        bob.submit("/users/alice/follow", page="/users/alice")
    comment_on(bob, other, "Mentioning @alice here")  # renders, tells nobody
    assert "Mentioning <a" in alice.get(f"/posts/{other}").text
    assert unread_badge(alice) == "1"
    assert [actor for _kind, actor in listed(db, "alice")].count("bob") == 1  # the read one


def test_the_blocked_person_is_not_told(alice, bob, db):
    alice.submit("/users/bob/follow", page="/users/bob")
    before = listed(db, "bob")
    silence(alice, "bob", "block")
    assert listed(db, "bob") == before
    for page in ("/notifications", "/users/alice", "/account"):
        text = bob.get(page).text.lower()
        assert "blocked you" not in text and "alice blocked" not in text
    assert 'action="/users/alice/follow"' in bob.get("/users/alice").text  # as for anyone


# --- follows ------------------------------------------------------------------------------------


def counts(page: str) -> tuple[int, int]:
    followers = re.search(r"<strong>(\d+)</strong> followers?</a>", page)
    following = re.search(r"<strong>(\d+)</strong> following</a>", page)
    assert followers and following
    return int(followers.group(1)), int(following.group(1))


def test_a_block_ends_follows_both_ways_and_refuses_new_ones(alice, bob, db):
    alice.submit("/users/bob/follow", page="/users/bob")
    bob.submit("/users/alice/follow", page="/users/alice")
    assert counts(alice.get("/users/alice").text) == (1, 1)
    silence(alice, "bob", "block")
    db.expire_all()
    assert db.exec(select(Follow)).all() == []
    assert counts(alice.get("/users/alice").text) == (0, 0)
    assert counts(alice.get("/users/bob").text) == (0, 0)
    response = bob.submit("/users/alice/follow", page="/users/alice")
    assert response.status_code == 400 and "You can&#39;t follow this account." in response.text
    response = alice.submit("/users/bob/follow", page="/users/bob")
    assert response.status_code == 400 and "unblock it to follow it" in response.text
    db.expire_all()
    assert db.exec(select(Follow)).all() == []
    silence(alice, "bob", "unblock")
    assert bob.submit("/users/alice/follow", page="/users/alice").status_code == 303


def test_a_mute_keeps_follows(alice, bob, db):
    alice.submit("/users/bob/follow", page="/users/bob")
    silence(alice, "bob", "mute")
    bob.submit("/users/alice/follow", page="/users/alice")
    db.expire_all()
    assert len(db.exec(select(Follow)).all()) == 2


# --- the data export and account deletion -----------------------------------------------------


def test_the_export_lists_them_and_deleting_either_account_removes_them(alice, bob, db):
    silence(alice, "bob", "block")
    exported = alice.get("/account/export").json()
    assert [(e["username"], e["kind"]) for e in exported["muted_and_blocked"]] == [("bob", "block")]
    response = bob.submit("/account/delete", {"current_password": PASSWORD}, page="/")
    assert response.status_code == 303
    db.expire_all()
    assert db.exec(select(Block)).all() == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", ["/", "/search?q=tomatoes", "/t/garden"])
def test_only_their_posts_leave_and_everyone_elses_stay(alice, bob, carol, bobs_post, kind, path):  # noqa: F811
    data = {"title": "Carol grows tomatoes", "content": "Tomatoes, lots.", "tags": "garden"}
    carol.submit("/posts", {**data, "published": "1"}, page="/posts/new")
    mine = {"title": "Alice grows tomatoes", "content": "Tomatoes too.", "tags": "garden"}
    alice.submit("/posts", {**mine, "published": "1"}, page="/posts/new")
    silence(alice, "bob", kind)
    shown = titles(alice.get(path).text)
    assert "Carol grows tomatoes" in shown and "Alice grows tomatoes" in shown
    assert "Bob grows tomatoes" not in shown


# --- whom listings filter at all ----------------------------------------------------------------


def screens(app, browser) -> bool:  # type: ignore[no-untyped-def]
    """What the viewer's session read says: whether listings must apply their filters."""
    resolved = sessions.resolve(
        engine=app.state.engine,
        settings=app.state.settings,
        token=browser.cookies.get(SESSION_COOKIE),
        kind="web",
    )
    assert resolved is not None
    return resolved[0].screens


@pytest.mark.parametrize(
    "screen",
    [
        lambda alice, bob, post: silence(alice, "bob", "mute"),
        lambda alice, bob, post: silence(alice, "bob", "block"),
        lambda alice, bob, post: silence(bob, "alice", "block"),
        lambda alice, bob, post: alice.submit(f"/posts/{post}/dismiss", page=f"/posts/{post}"),
        lambda alice, bob, post: alice.submit("/t/garden/filter", page="/t/garden"),
    ],
    ids=["mutes", "blocks", "is blocked", "dismisses", "filters a tag"],
)
def test_a_member_with_nothing_filtered_skips_the_filters_until_something_is(
    app, alice, bob, bobs_post, screen
):  # type: ignore[no-untyped-def]
    # Nothing to keep from alice: her listings read what a visitor's do (filters.needed).
    assert screens(app, alice) is False
    assert "Bob grows tomatoes" in titles(alice.get("/").text)
    screen(alice, bob, bobs_post)
    assert screens(app, alice) is True
    assert "Bob grows tomatoes" not in titles(alice.get("/").text)


def test_being_muted_keeps_nothing_from_the_muted(app, alice, bob, bobs_post):  # type: ignore[no-untyped-def]
    silence(alice, "bob", "mute")
    assert screens(app, bob) is False
    assert "Bob grows tomatoes" in titles(bob.get("/").text)
