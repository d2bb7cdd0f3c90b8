"""Search finds comments: the Comments section of the results, its own page, and the API.

Only comments that stand, by available authors, on public posts by available authors; the
query is handled as safely as for posts (tests/test_search.py).
"""

import re

import pytest

from app.services import posts
from tests.conftest import get_post, get_user, post_id_from, set_role
from tests.test_comments import comment_on
from tests.test_search import HOSTILE_QUERIES


def found_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    """The comment ids a search page found, in order."""
    return [hit["comment"].id for hit in response.context["comments"]]


@pytest.fixture
def post_id(alice) -> int:  # type: ignore[no-untyped-def]
    return post_id_from(alice.create_post("Tomatoes <b>&</b> co", "How do you grow them?"))


def test_a_found_comment_links_to_its_permalink_with_its_post_and_author(alice, bob, post_id):
    comment_id = comment_on(bob, post_id, "Plant **basil** beside them <script>x</script>")
    comment_on(bob, post_id, "Water in the morning")
    response = alice.get("/search?q=basil")
    assert found_ids(response) == [comment_id]
    page = response.text
    section = page[page.index('id="comments-heading"') :]
    assert f'<a href="/comments/{comment_id}">Plant <mark>basil</mark> beside them' in section
    assert "&lt;script&gt;x&lt;/script&gt;" in section and "<script>x" not in section
    assert "**" not in section  # the plain text of the Markdown
    assert f'on <a href="/posts/{post_id}">Tomatoes &lt;b&gt;&amp;&lt;/b&gt; co</a>' in section
    assert 'href="/users/bob"' in section
    landing = alice.get(f"/comments/{comment_id}")
    assert landing.status_code == 303
    assert landing.headers["location"].endswith(f"#comment-{comment_id}")


def test_best_match_first_and_every_word_must_match(alice, bob, post_id):
    once = comment_on(bob, post_id, "Mulch the beds, and a word on gardens.")
    often = comment_on(alice, post_id, "Mulch, mulch and more mulch for the garden.")
    comment_on(bob, post_id, "Mulch alone.")
    assert found_ids(alice.get("/search?q=mulch GARDENING")) == [often, once]


def test_no_comments_no_section(alice, bob, post_id):
    comment_on(bob, post_id, "Something else entirely")
    page = alice.get("/search?q=tomatoes").text
    assert 'id="comments-heading"' not in page
    assert "Tomatoes" in page  # the post itself is found


def test_only_comments_that_stand_are_found(alice, bob, moderator, post_id, db):
    kept = comment_on(bob, post_id, "parsnip one")
    deleted = comment_on(bob, post_id, "parsnip two")
    answered = comment_on(bob, post_id, "parsnip three")
    comment_on(alice, post_id, "a reply", answered)
    removed = comment_on(bob, post_id, "parsnip four")
    edited = comment_on(bob, post_id, "parsnip five")
    assert sorted(found_ids(alice.get("/search?q=parsnip"))) == sorted(
        [kept, deleted, answered, removed, edited]
    )
    bob.submit(f"/comments/{deleted}/delete", page=f"/comments/{deleted}/delete")
    bob.submit(f"/comments/{answered}/delete", page=f"/comments/{answered}/delete")  # "[deleted]"
    response = moderator.submit(
        f"/comments/{removed}/remove", {"reason": "Off topic"}, page=f"/comments/{removed}/remove"
    )
    assert response.status_code == 303
    bob.submit(
        f"/comments/{edited}/edit", {"content": "turnip now"}, page=f"/comments/{edited}/edit"
    )
    assert found_ids(alice.get("/search?q=parsnip")) == [kept]
    assert found_ids(alice.get("/search?q=turnip")) == [edited]
    # Votes move a counter on the row; the index stays as it was.
    alice.submit(f"/comments/{kept}/vote", page=f"/posts/{post_id}")
    assert found_ids(alice.get("/search?q=parsnip")) == [kept]


def test_comments_leave_search_with_their_post(alice, bob, admin, post_id, db):
    comment_id = comment_on(bob, post_id, "celeriac soup")
    alice.submit(
        f"/posts/{post_id}/edit", {"title": "Tomatoes", "content": "x"}, page="/"
    )  # now a draft
    assert found_ids(alice.get("/search?q=celeriac")) == []
    assert found_ids(bob.get("/search?q=celeriac")) == []
    alice.submit(
        f"/posts/{post_id}/edit", {"title": "Tomatoes", "content": "x", "published": "1"}, page="/"
    )
    assert found_ids(bob.get("/search?q=celeriac")) == [comment_id]
    post = get_post(db, post_id)
    assert post is not None
    assert posts.hide(session=db, post=post, actor=get_user(db, "root"), reason="Spam")
    assert found_ids(bob.get("/search?q=celeriac")) == []
    assert admin.submit(f"/admin/posts/{post_id}/restore", page="/admin/posts").status_code == 303
    assert found_ids(bob.get("/search?q=celeriac")) == [comment_id]
    alice.submit(f"/posts/{post_id}/delete", page=f"/posts/{post_id}/delete")
    assert found_ids(bob.get("/search?q=celeriac")) == []


def test_unavailable_authors_leave_comment_search_and_come_back(
    alice, bob, admin, make_browser, post_id, db
):
    carol = make_browser()
    carol.register("carol")
    bobs = comment_on(bob, post_id, "fennel from bob")
    carols_post = post_id_from(carol.create_post("Carol's", "text"))
    on_carols = comment_on(bob, carols_post, "fennel on carol's post")
    ids = {"bob": get_user(db, "bob").id, "carol": get_user(db, "carol").id}
    assert sorted(found_ids(alice.get("/search?q=fennel"))) == sorted([bobs, on_carols])
    admin.submit(f"/admin/users/{ids['carol']}/suspend", {"duration": "forever"})
    assert found_ids(alice.get("/search?q=fennel")) == [bobs]  # the post's author is gone
    admin.submit(f"/admin/users/{ids['bob']}/suspend", {"duration": "forever"})
    assert found_ids(alice.get("/search?q=fennel")) == []  # and now the comment's
    for name in ("bob", "carol"):
        admin.submit(f"/admin/users/{ids[name]}/unsuspend")
    assert sorted(found_ids(alice.get("/search?q=fennel"))) == sorted([bobs, on_carols])
    set_role(db, "bob", "user")
    admin.submit(f"/admin/users/{ids['bob']}/delete")
    assert found_ids(alice.get("/search?q=fennel")) == []


def test_the_section_is_capped_and_more_lists_every_comment_by_page(alice, bob, post_id):
    made = [comment_on(bob, post_id, f"leek number {i}") for i in range(23)]
    first = alice.get("/search?q=leek")
    assert len(found_ids(first)) == 5
    assert 'href="/search/comments?q=leek">More comments for &ldquo;leek&rdquo;</a>' in first.text
    assert found_ids(alice.get("/search?q=leek&page=2")) == []  # the section is on page 1
    one = alice.get("/search/comments?q=leek")
    assert len(found_ids(one)) == 20
    assert 'href="/search/comments?q=leek&amp;page=2"' in one.text
    two = alice.get("/search/comments?q=leek&page=2")
    assert sorted(found_ids(one) + found_ids(two)) == sorted(made)
    assert "page=3" not in two.text
    past = alice.get("/search/comments?q=leek&page=9")
    assert past.status_code == 200 and "There is nothing on page 9" in past.text
    assert alice.get("/search/comments?q=leek&page=0").status_code == 400
    assert alice.get("/search/comments?q=leek&page=x").status_code == 400
    few = alice.get("/search?q=number 7")
    assert "More comments" not in few.text


@pytest.mark.parametrize("path", ["/search", "/search/comments"])
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_any_query_is_safe_for_comments(alice, bob, post_id, path, query):
    comment_id = comment_on(bob, post_id, "Near the garden in the morning.")
    response = alice.client.get(path, params={"q": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert found_ids(response) in ([], [comment_id])


def test_operators_in_a_comment_search_are_plain_words(alice, bob, post_id):
    near = comment_on(bob, post_id, "near and far")
    comment_on(bob, post_id, "garden")
    assert found_ids(alice.get("/search?q=near")) == [near]
    assert found_ids(alice.get("/search?q=garden OR near")) == []
    assert found_ids(alice.get('/search?q="near" NOT garden')) == []  # not a NOT


def test_a_nul_in_a_comment_search_is_refused_clearly(alice):
    for path in ("/search/comments?q=garden%00", "/api/comments?search=garden%00"):
        response = alice.client.get(path)
        assert response.status_code == 400, path


def test_a_very_long_comment_search_is_cut_not_refused(alice, bob, post_id):
    comment_id = comment_on(bob, post_id, "kohlrabi")
    response = alice.client.get("/search/comments", params={"q": "kohlrabi " * 3_000})
    assert response.status_code == 200
    assert found_ids(response) == [comment_id]


def test_the_api_finds_the_same_comments_and_pages_with_its_cursor(alice, bob, post_id, api):
    made = [comment_on(bob, post_id, f"chard {i}") for i in range(5)]
    draft = post_id_from(alice.create_post("Later a draft", "x"))
    hidden = comment_on(bob, draft, "chard on a draft")
    alice.submit(f"/posts/{draft}/edit", {"title": "Later a draft", "content": "x"}, page="/")
    first = api.get("/api/comments", params={"search": "chard", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    hit = first["items"][0]
    assert hit["url"] == f"/comments/{hit['id']}" and hit["post_title"].startswith("Tomatoes")
    assert hit["author"]["username"] == "bob"
    seen = [item["id"] for item in first["items"]]
    url = first["next"]
    while url:
        body = api.get(url).json()
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
    assert sorted(seen) == sorted(made) and hidden not in seen
    page = alice.get("/search/comments?q=chard")
    listed = [i["id"] for i in api.get("/api/comments", params={"search": "chard"}).json()["items"]]
    assert listed == found_ids(page)


@pytest.mark.parametrize("query", ['"', "NEAR(a b)", "*", "", "🌱", "a" * 200])
def test_the_api_search_takes_any_query(api, query):
    response = api.get("/api/comments", params={"search": query})
    assert response.status_code == 200 and response.json()["items"] == []


def test_the_api_search_refuses_bad_cursors_and_long_queries(api):
    plain = "MTIzOjQ"  # a position, as the post listing uses
    assert api.get("/api/comments", params={"search": "x", "cursor": plain}).status_code == 422
    assert api.get("/api/comments", params={"search": "x", "cursor": "nope!"}).status_code == 422
    assert api.get("/api/comments", params={"search": "x" * 201}).status_code == 422
    assert api.get("/api/comments").status_code == 422  # `search` is required
    assert re.search(r"search", api.get("/api/comments").text)
