"""Tags: the rule for names, the editor, cards and post pages, /tags and /t/{tag}, following,
filtering, search's `tag:` and what moderators do (describe, rename, merge)."""

import re

import pytest
from sqlmodel import select

from app.models import AuditLog, Post, PostTag, Tag, TagAlias, TagFilter, TagFollow, User
from app.services import admin, posts
from tests.conftest import get_user, post_id_from, set_role


def write(browser, title: str, tags: str, published: bool = True, content: str = "Words."):  # type: ignore[no-untyped-def]
    data = {"title": title, "content": content, "tags": tags}
    if published:
        data["published"] = "1"
    return browser.submit("/posts", data, page="/posts/new")


def titles(html: str) -> list[str]:
    return re.findall(r'class="post-title"><a href="/posts/\d+">(.*?)</a>', html)


def tag_links(html: str) -> list[str]:
    return re.findall(r'<a class="tag" href="/t/([a-z0-9-]+)">', html)


def card_tag_links(html: str) -> list[str]:
    """The tags on the feed's cards (its side column lists the top tags too)."""
    return tag_links("".join(re.findall(r"<article .*?</article>", html, re.S)))


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', html)
    assert found, f"no error beside {name}"
    return found.group(1)


# --- the rule for a tag ------------------------------------------------------------------------


def test_tags_are_lowered_deduplicated_and_shown_as_links(alice, db):
    response = write(alice, "Snakes", "Python, web-dev PYTHON")
    assert response.status_code == 303
    post_id = post_id_from(response)
    page = alice.get(f"/posts/{post_id}").text
    assert tag_links(page) == ["python", "web-dev"]
    assert card_tag_links(alice.get("/").text) == ["python", "web-dev"]  # on the card too


@pytest.mark.parametrize(
    ("tags", "says"),
    [
        ("a b c d e f", "at most 5 tags"),
        ("x" * 26, "at most 25 characters"),
        ("c++", "only letters a-z, digits and &#39;-&#39;"),
        ("café", "only letters a-z"),
        ("under_score", "only letters a-z"),
    ],
)
def test_bad_tags_are_a_field_error_and_nothing_is_saved(alice, db, tags, says):
    response = write(alice, "Kept title", tags)
    assert response.status_code == 422
    assert says in field_error(response.text, "tags")
    assert 'value="Kept title"' in response.text  # the input is kept
    assert db.exec(select(Tag)).all() == []


def test_editing_changes_the_tags_and_the_cards_follow(alice, db):
    post_id = post_id_from(write(alice, "Changing", "one two"))
    assert card_tag_links(alice.get("/").text) == ["one", "two"]
    form = alice.get(f"/posts/{post_id}/edit").text
    assert re.search(r'name="tags" type="text" value="one two"', form)
    response = alice.submit(
        f"/posts/{post_id}/edit",
        {"title": "Changing", "content": "Words.", "published": "1", "tags": "two three"},
        page=f"/posts/{post_id}/edit",
    )
    assert response.status_code == 303
    # The card cache is keyed by what the card shows: the new tags show at once.
    assert card_tag_links(alice.get("/").text) == ["three", "two"]


def test_the_editor_offers_the_tags_in_use(alice, bob):
    write(alice, "Public", "gardening")
    write(alice, "Secret", "hushhush", published=False)
    form = bob.get("/posts/new").text
    assert '<option value="gardening">' in form
    assert "hushhush" not in form


def test_only_moderators_create_tags_when_so_configured(make_app, make_browser, db):
    from starlette.testclient import TestClient

    from tests.conftest import Browser, set_role

    app = make_app(tag_creation="moderators")
    with (
        TestClient(app, follow_redirects=False) as mod_client,
        TestClient(app, follow_redirects=False) as member_client,
    ):
        mod, member = Browser(mod_client), Browser(member_client)
        assert mod.register("mod").status_code == 303
        set_role(db, "mod", "moderator")
        assert member.register("member").status_code == 303
        response = write(member, "New topic", "brandnew")
        assert response.status_code == 422
        assert "only moderators create tags" in field_error(response.text, "tags")
        assert write(mod, "Started", "brandnew").status_code == 303
        assert write(member, "Joined in", "brandnew").status_code == 303


# --- what counts: public posts only ------------------------------------------------------------


def test_a_tag_on_drafts_and_hidden_posts_stays_invisible(alice, bob, db, make_browser):
    write(alice, "Draft", "secret-plan", published=False)
    hidden = post_id_from(write(alice, "Hidden", "taken-down"))
    # Through the moderators' own service, as every hide goes (it keeps the tag counts).
    carol = make_browser()
    assert carol.register("carol").status_code == 303
    mod = set_role(db, "carol", "moderator")
    posts.hide(session=db, post=db.get(Post, hidden), actor=mod, reason="Off topic")
    assert "secret-plan" not in bob.get("/tags").text
    assert "taken-down" not in bob.get("/tags").text
    assert bob.get("/t/secret-plan").status_code == 404
    assert bob.get("/t/taken-down").status_code == 404
    assert alice.get("/t/secret-plan").status_code == 404  # not even for its author


def test_tags_list_by_use_and_count_public_posts_only(alice, bob, db):
    write(alice, "One", "rare common")
    write(bob, "Two", "common")
    write(bob, "Draft", "common rare", published=False)
    page = bob.get("/tags").text
    assert tag_links(page) == ["common", "rare"]
    assert re.search(r'href="/t/common">common</a> <span class="meta">2 posts', page)
    assert re.search(r'href="/t/rare">rare</a> <span class="meta">1 post<', page)
    assert "2 posts" in bob.get("/t/common").text


def test_an_unavailable_authors_tags_leave_the_lists(alice, bob, db):
    write(alice, "By alice", "lonely")
    admin.suspend(session=db, actor=None, user=get_user(db, "alice"))
    assert "lonely" not in bob.get("/tags").text
    assert bob.get("/t/lonely").status_code == 404


# --- the tag page -------------------------------------------------------------------------------


def test_tag_page_lists_its_posts_latest_and_top(alice, bob, db):
    first = post_id_from(write(alice, "First", "garden"))
    write(alice, "Second", "garden")
    write(alice, "Elsewhere", "kitchen")
    bob.submit(f"/posts/{first}/vote", {})
    latest = bob.get("/t/garden").text
    assert titles(latest) == ["Second", "First"]
    assert titles(bob.get("/t/garden/top").text) == ["First", "Second"]
    assert bob.get("/t/GARDEN").status_code == 200  # any case
    assert bob.get("/t/no-such-tag").status_code == 404
    assert bob.get("/t/bad%20name").status_code == 404


def test_tag_page_pages_by_keyset(alice, db):
    for n in range(23):
        write(alice, f"Post {n}", "many")
    first = alice.get("/t/many").text
    assert len(titles(first)) == 20
    older = re.search(r'rel="next" href="(/t/many\?before=[^"]+)"', first)
    assert older
    rest = titles(alice.get(older.group(1).replace("&amp;", "&")).text)
    assert rest == ["Post 2", "Post 1", "Post 0"]


def test_follow_a_tag_and_its_posts_join_following(alice, bob, db):
    write(alice, "Tagged post", "birds")
    write(alice, "Untagged post", "")
    assert titles(bob.get("/following").text) == []
    response = bob.submit("/t/birds/follow", {}, page="/t/birds")
    assert response.status_code == 303
    assert 'aria-pressed="true">Unfollow' in bob.get("/t/birds").text
    assert titles(bob.get("/following").text) == ["Tagged post"]
    # A post by someone bob follows and with a followed tag shows once.
    bob.submit("/users/alice/follow", {}, page="/users/alice")
    assert titles(bob.get("/following").text) == ["Untagged post", "Tagged post"]
    bob.submit("/t/birds/follow", {}, page="/t/birds")  # unfollow
    assert db.exec(select(TagFollow)).all() == []


def test_following_feed_pages_through_followed_tags(alice, bob, db):
    for n in range(25):
        write(alice, f"Bird {n}", "birds")
    bob.submit("/t/birds/follow", {}, page="/t/birds")
    first = bob.get("/following").text
    assert len(titles(first)) == 20
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older
    assert titles(bob.get(older.group(1).replace("&amp;", "&")).text) == [
        f"Bird {n}" for n in range(4, -1, -1)
    ]


# --- filtered tags ------------------------------------------------------------------------------


def test_a_filtered_tag_is_gone_from_feeds_and_search(alice, bob, db):
    write(alice, "Cats are great", "cats")
    write(alice, "Dogs are great", "dogs")
    bob.submit("/users/alice/follow", {}, page="/users/alice")
    response = bob.submit("/t/cats/filter", {}, page="/t/cats")
    assert response.status_code == 303
    for url in ("/", "/top", "/following", "/search?q=great"):
        page = bob.get(url).text
        assert "Cats are" not in page, url  # search marks the word "great"
        assert "Dogs are" in page, url
    assert "Cats are great" not in bob.get("/t/cats").text
    # Only for bob: alice and visitors still see it.
    assert "Cats are great" in alice.get("/").text
    # Listed on the account page, and undone there.
    page = bob.get("/account/filters").text
    assert tag_links(page) == ["cats"]
    bob.submit("/account/filters/cats/delete", {}, page="/account/filters")
    assert "Cats are great" in bob.get("/").text


def test_filters_apply_inside_the_window_so_pages_are_full(alice, bob, db):
    for n in range(20):
        write(alice, f"Noise {n}", "noise")
    for n in range(5):
        write(alice, f"Signal {n}", "")
    # Oldest first: the signal posts are the newest, then twenty noise posts.
    bob.submit("/account/filters", {"tag": "Noise"}, page="/account/filters")
    assert titles(bob.get("/").text) == [f"Signal {n}" for n in range(4, -1, -1)]


def test_filtering_an_unknown_tag_is_a_field_error(bob):
    response = bob.submit("/account/filters", {"tag": "nope"}, page="/account/filters")
    assert response.status_code == 422
    assert "There is no tag" in field_error(response.text, "tag")
    response = bob.submit("/account/filters", {"tag": "c++"}, page="/account/filters")
    assert response.status_code == 422


# --- search -------------------------------------------------------------------------------------


def search_titles(html: str) -> list[str]:
    found = re.findall(r'<h3 class="post-title"><a href="/posts/\d+">(.*?)</a>', html)
    return [re.sub("</?mark>", "", title) for title in found]


def test_search_understands_tag_beside_words(alice, bob):
    write(alice, "Python snakes", "python")
    write(alice, "Snakes in code", "programming")
    write(alice, "Garden snakes", "python")
    page = bob.get("/search?q=snakes+tag:python").text
    assert sorted(search_titles(page)) == ["Garden snakes", "Python snakes"]
    # The tag alone: its posts, newest first.
    assert search_titles(bob.get("/search?q=tag:Python").text) == ["Garden snakes", "Python snakes"]
    assert search_titles(bob.get("/search?q=snakes+tag:unknown").text) == []
    assert search_titles(bob.get("/search?q=snakes+tag:c%2B%2B").text) == []


# --- moderators ---------------------------------------------------------------------------------


def test_moderators_describe_rename_and_the_old_name_redirects(alice, bob, moderator, db):
    post_id = post_id_from(write(alice, "Old name post", "py"))
    bob.submit("/t/py/follow", {}, page="/t/py")
    assert bob.submit("/t/py/rename", {"new_name": "python"}, page="/t/py").status_code == 403
    assert "Moderate this tag" not in bob.get("/t/py").text
    response = moderator.submit("/t/py/describe", {"description": "The language."}, page="/t/py")
    assert response.status_code == 303
    response = moderator.submit("/t/py/rename", {"new_name": "Python"}, page="/t/py")
    assert response.status_code == 303
    assert response.headers["location"] == "/t/python"
    moved = bob.get("/t/py/top?page=1")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/t/python/top?page=1"
    page = bob.get("/t/python").text
    assert "The language." in page and "Old name post" in page
    assert 'aria-pressed="true">Unfollow' in page  # the follow moved with the tag
    assert tag_links(bob.get(f"/posts/{post_id}").text) == ["python"]
    actions = [e.action for e in db.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions == ["tag.describe", "tag.rename"]
    entry = db.exec(select(AuditLog).where(AuditLog.action == "tag.rename")).one()
    assert entry.before_values == {"name": "py"} and entry.after_values == {"name": "python"}


def test_rename_onto_an_existing_tag_is_refused(alice, moderator):
    write(alice, "A", "one")
    write(alice, "B", "two")
    response = moderator.submit("/t/one/rename", {"new_name": "two"}, page="/t/one")
    assert response.status_code == 422
    assert "merge into it instead" in response.text


def test_moderators_merge_tags(alice, bob, moderator, db):
    both = post_id_from(write(alice, "Both", "js javascript"))
    write(alice, "Only js", "js")
    bob.submit("/t/js/follow", {}, page="/t/js")
    bob.submit("/t/javascript/follow", {}, page="/t/javascript")
    response = moderator.submit("/t/js/merge", {"into": "javascript"}, page="/t/js")
    assert response.status_code == 303
    assert response.headers["location"] == "/t/javascript"
    assert bob.get("/t/js").headers["location"] == "/t/javascript"
    page = bob.get("/t/javascript").text
    assert sorted(titles(page)) == ["Both", "Only js"]
    assert "2 posts" in page
    assert tag_links(bob.get(f"/posts/{both}").text) == ["javascript"]
    assert len(db.exec(select(TagFollow)).all()) == 1
    assert db.exec(select(TagAlias)).one().name == "js"
    entry = db.exec(select(AuditLog).where(AuditLog.action == "tag.merge")).one()
    assert entry.after_values == {"merged_into": "javascript"}
    # Writing the old name now tags the post with the tag it became.
    post_id = post_id_from(write(alice, "Later", "js"))
    assert tag_links(alice.get(f"/posts/{post_id}").text) == ["javascript"]


def test_merge_into_a_missing_tag_is_a_field_error(alice, moderator, db):
    write(alice, "A", "one")
    response = moderator.submit("/t/one/merge", {"into": "nowhere"}, page="/t/one")
    assert response.status_code == 422
    assert "There is no tag" in response.text
    assert db.exec(select(PostTag)).all() != []


def test_deleting_an_account_takes_its_tag_follows_and_filters(alice, bob, db):
    write(alice, "A", "one two")
    bob.submit("/t/one/follow", {}, page="/t/one")
    bob.submit("/t/two/filter", {}, page="/t/two")
    from app.services import users

    users.remove(session=db, user=get_user(db, "bob"))
    assert db.exec(select(TagFollow)).all() == []
    assert db.exec(select(TagFilter)).all() == []
    assert db.exec(select(User).where(User.username == "bob")).first() is None
