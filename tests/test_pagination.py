"""One way to paginate: the same pager on every list, and pages past the end that say so."""

import re
from datetime import UTC, datetime

import pytest

from app.pagination import Position, decode_cursor, encode_cursor

PAST_END = "There is nothing on page 9999: the list ends before it."


def pager_of(html: str) -> str:
    found = re.search(r'<nav class="pager" aria-label="Pages">.*?</nav>', html, re.S)
    assert found, "the page has a pager"
    return found.group(0)


def test_the_feed_pages_newer_and_older(alice):
    for i in range(25):
        alice.create_post(f"Post {i:02d}", "body")
    first = pager_of(alice.get("/").text)
    assert '<a rel="next" href="/?page=2">Older &rarr;</a>' in first
    assert 'rel="prev"' not in first and "Page 1" in first
    second = pager_of(alice.get("/?page=2").text)
    assert '<a rel="prev" href="/?page=1">&larr; Newer</a>' in second
    assert 'rel="next"' not in second and "Page 2" in second


def test_ranked_lists_page_previous_and_next(alice):
    for i in range(25):
        alice.create_post(f"Walnut {i:02d}", "walnut")
    top = pager_of(alice.get("/top").text)
    assert '<a rel="next" href="/top?page=2">Next &rarr;</a>' in top
    assert '<a rel="prev" href="/top?page=1">&larr; Previous</a>' in pager_of(
        alice.get("/top?page=2").text
    )
    search = pager_of(alice.get("/search?q=walnut&page=2").text)
    assert '<a rel="prev" href="/search?q=walnut&amp;page=1">&larr; Previous</a>' in search


def test_the_following_feed_goes_older_and_back_to_the_newest(alice, bob):
    for i in range(25):
        bob.create_post(f"Bob {i:02d}", "body")
    alice.submit("/users/bob/follow", page="/users/bob")
    first = pager_of(alice.get("/following").text)
    older = re.search(r'<a rel="next" href="(/following\?before=[\w-]+)">Older &rarr;</a>', first)
    assert older and "Newest" not in first
    second = pager_of(alice.get(older.group(1)).text)
    assert '<a href="/following">&larr; Newest</a>' in second and 'rel="next"' not in second


@pytest.mark.parametrize(
    ("url", "first_page"),
    [
        ("/?page=9999", "/?page=1"),
        ("/top?page=9999", "/top?page=1"),
        ("/users/alice?page=9999", "/users/alice?page=1"),
        ("/users/alice/followers?page=9999", "/users/alice/followers?page=1"),
        ("/users/alice/following?page=9999", "/users/alice/following?page=1"),
        ("/account/posts?status=all&page=9999", "/account/posts?status=all&amp;page=1"),
    ],
)
def test_a_page_past_the_end_says_so(alice, bob, url, first_page):
    alice.create_post("The only post", "body")
    bob.submit("/users/alice/follow", page="/users/alice")
    alice.submit("/users/bob/follow", page="/users/bob")
    html = alice.get(url).text
    assert PAST_END in html
    assert f'<a href="{first_page}">Go to the first page</a>' in html
    # Not mistaken for an empty list.
    assert "No posts yet" not in html and "has not published anything" not in html
    assert "No one follows" not in html and "does not follow anyone" not in html


def test_a_search_page_past_the_end_says_so(alice):
    alice.create_post("Walnut", "walnut")
    html = alice.get("/search?q=walnut&page=20").text
    assert "There is nothing on page 20: the list ends before it." in html
    assert '<a href="/search?q=walnut&amp;page=1">Go to the first page</a>' in html
    assert "Nothing found" not in html


@pytest.mark.parametrize(
    ("url", "first_page", "empty"),
    [
        (
            "/admin/users?q=root&page=9999",
            "/admin/users?q=root&amp;sort=joined&amp;dir=desc&amp;page=1",
            "No users match",
        ),
        (
            "/admin/posts?status=published&page=9999",
            "/admin/posts?status=published&amp;sort=created&amp;dir=desc&amp;page=1",
            "No posts match",
        ),
        ("/admin/audit?page=9999", "/admin/audit?page=1", "No entries match"),
    ],
)
def test_an_admin_list_past_the_end_says_so(admin, url, first_page, empty):
    admin.create_post("A post", "body")
    html = admin.get(url).text
    assert PAST_END in html
    assert f'<a href="{first_page}">Go to the first page</a>' in html
    assert empty not in html


def test_an_empty_list_still_reads_as_empty(alice):
    assert "No posts yet" in alice.get("/").text
    assert "There is nothing on page" not in alice.get("/").text


def test_a_cursor_names_one_place_and_nothing_else():
    at = Position(datetime(2026, 5, 1, 12, 30, 0, 123456, tzinfo=UTC), 42)
    assert decode_cursor(encode_cursor(at)) == at
    assert decode_cursor(encode_cursor(40)) == 40
    for bad in ("garbage!", encode_cursor(2**40), "bzox", ""):
        with pytest.raises(ValueError):
            decode_cursor(bad)
