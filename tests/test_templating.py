"""The template layer: what `render` hands the test client, dates, and one way to draw each part."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

from app.config import PROJECT_DIR
from app.templating import PageResponse, env, plural, timetag
from tests.conftest import post_id_from

TEMPLATES = PROJECT_DIR / "templates"


def test_a_page_tells_the_test_client_its_template_and_context(alice):
    response = alice.get("/top")
    assert response.template.name == "posts/feed.html"
    assert response.context["tab"] == "top"
    assert response.context["viewer"].username == "alice"


def _messages(scope: dict) -> list[dict]:  # type: ignore[type-arg]
    sent: list[dict] = []  # type: ignore[type-arg]

    async def receive() -> dict:  # type: ignore[type-arg]
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        sent.append(message)

    response = PageResponse(env.from_string("<p>{{ word }}</p>"), {"word": "hi"})
    # A loop of its own on a thread of its own: the browser tests leave one running on this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, response(scope, receive, send)).result()
    return sent


def test_a_server_gets_the_page_alone_and_only_the_test_client_gets_the_context():
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    assert [m["type"] for m in _messages(scope)] == ["http.response.start", "http.response.body"]
    assert _messages({**scope, "extensions": None})[0]["type"] == "http.response.start"
    debug = _messages({**scope, "extensions": {"http.response.debug": {}}})
    assert [m["type"] for m in debug][0] == "http.response.debug"
    assert debug[0]["info"]["context"] == {"word": "hi"}
    assert debug[-1]["body"] == b"<p>hi</p>"


def test_timetag_shows_a_moment_in_utc_and_a_day_as_a_day():
    moment = datetime(2026, 11, 26, 16, 40, 5, tzinfo=UTC)
    assert timetag(moment) == (
        '<time datetime="2026-11-26T16:40:05+00:00">26 Nov 2026, 16:40 UTC</time>'
    )
    paris = moment.astimezone(timezone(timedelta(hours=1)))
    assert timetag(paris) == timetag(moment)
    assert timetag(date(2026, 3, 1)) == '<time datetime="2026-03-01">1 Mar 2026</time>'


def test_plural_takes_the_word_for_the_count():
    assert [plural(n, "vote") for n in (0, 1, 2)] == ["votes", "vote", "votes"]
    assert plural(1, "This post", "These posts") == "This post"
    assert plural(3, "it", "them") == "them"


def test_search_results_are_the_feed_s_cards_with_the_words_marked(alice, bob):
    post_id = post_id_from(alice.create_post("Garden notes", "The garden in spring."))
    bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    card = re.compile(r'<article class="card post-card" id="post-\d+">.*?</article>', re.S)
    # The same cards but for the score: the feed fills it with the viewer's vote box.
    vote_box = re.compile(r'<form method="post" action="/posts/\d+/vote".*?</form>\n?', re.S)
    score = re.compile(r"<!--slot-->.*?<!--slot-->", re.S)
    in_feed = [vote_box.sub("", c) for c in card.findall(bob.get("/").text)]
    in_search = [score.sub("", c) for c in card.findall(bob.get("/search?q=garden").text)]
    assert len(in_feed) == len(in_search) == 1
    marked = (
        in_feed[0]
        .replace("<h2 ", "<h3 ")
        .replace("</h2>", "</h3>")
        .replace(">Garden notes<", "><mark>Garden</mark> notes<")
        .replace(">The garden in spring.<", ">The <mark>garden</mark> in spring.<")
    )
    assert in_search[0] == marked


def test_dates_icons_and_plurals_are_written_one_way():
    # A <time> comes from the timetag filter, an icon from the icon macro, "1 vote, 2 votes"
    # from the plural filter.
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert "<time" not in text, template.name
        assert not re.search(r"[=!]= 1 else|!= 1 %}", text), template.name
        if template.name != "_macros.html" or template.parent != TEMPLATES:
            assert not re.search(r'<svg class="icon"', text), template.name


def test_a_kept_vote_box_is_exactly_what_the_macro_draws_for_that_viewer():
    from types import SimpleNamespace

    from app.web import Voting

    macros = env.get_template("_macros.html").module
    here = '/t/a&b?page=2&q="x"'  # characters each escaping must treat alike
    card = {
        "title": "T",
        "excerpt": "E",
        "published": True,
        "hidden_at": None,
        "pending_at": None,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "comment_count": 0,
        "tags": "",
    }
    posts = [
        SimpleNamespace(**card, id=7, vote_count=1, author="alice"),
        SimpleNamespace(**card, id=8, vote_count=0, author="bob"),
        SimpleNamespace(**card, id=9, vote_count=12, author="carol"),
    ]
    alice = SimpleNamespace(username="alice", id=1)
    for viewer, token, voted in ((alice, "ab12", {9}), (alice, "ab12", set()), (None, None, set())):
        voting = Voting(viewer, frozenset(voted), token, here)
        html = env.from_string("{{ post_cards(posts, voting) }}").render(posts=posts, voting=voting)
        for post in posts:
            drawn = macros.vote_box(  # type: ignore[attr-defined]
                post, viewer, post.id in voted, token, f"{here}#post-{post.id}", " vote-card"
            )
            assert str(drawn) in html, (viewer, post)


def test_a_kept_comment_is_exactly_what_the_macro_draws_for_that_viewer(monkeypatch):
    from types import SimpleNamespace

    from markupsafe import Markup

    from app import templating

    macros = env.get_template("comments/_comment.html").module
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

    def entry(n: int, **changes: object) -> SimpleNamespace:
        row = {
            "id": n,
            "author": "bob<&>",
            "author_id": 2,
            "created_at": when,
            "updated_at": when,
            "vote_count": n,
            "voted": False,
            "pending_at": None,
            "removed_reason": None,
        }
        fields = {"indent": n % 7, "reply_to": None, "shown": True, "cut": False, "folded": False}
        for name, value in changes.items():
            (row if name in row else fields)[name] = value
        return SimpleNamespace(row=SimpleNamespace(**row), **fields)

    entries = [
        entry(1),
        entry(2, updated_at=when + timedelta(minutes=5), voted=True, reply_to="carol"),
        entry(3, author_id=1, cut=True),
        entry(4, shown=False),
        entry(5, shown=False, removed_reason="Spam & <links>", author_id=1),
        entry(6, shown=False, pending_at=when),
        entry(7, folded=True),
    ]
    html = {e.row.id: Markup(f"<p>comment {e.row.id} &amp; more</p>") for e in entries}  # noqa: S704
    post = SimpleNamespace(id=40)

    # The page's one form token, as csrf_token gives it for the request being drawn.
    monkeypatch.setattr(templating, "csrf_token", lambda request: "ab12cd")
    viewers = [
        None,
        SimpleNamespace(id=1, is_moderator=False),
        SimpleNamespace(id=3, is_moderator=False),
        SimpleNamespace(id=3, is_moderator=True),
    ]
    kept = env.from_string("{{ comment_list(entries, html, viewer, post) }}")
    for viewer in viewers:
        token = "ab12cd" if viewer is not None else ""
        request = SimpleNamespace(scope={"state": {}})  # a page drawn for one viewer
        drawn = kept.render(entries=entries, html=html, viewer=viewer, post=post, request=request)
        for one in entries:
            expected = macros.comment(one, html, viewer, post, token)  # type: ignore[attr-defined]
            assert str(expected) in drawn, (viewer, one.row.id)


def test_templates_write_their_non_ascii_characters_as_entities(browser):
    """A page of ASCII text stays a one-byte-per-character str in Python, which joins and
    encodes as a plain copy: one "·" in a template made a 200-comment page's encoding a fifth of
    what it cost (docs/performance.md, "Pages that stay ASCII"). `&middot;` shows the same."""
    templates = sorted((PROJECT_DIR / "templates").rglob("*.html"))
    assert templates
    for template in templates:
        text = template.read_text(encoding="utf-8")
        odd = sorted({c for c in text if ord(c) > 127})
        assert not odd, f"{template.relative_to(PROJECT_DIR)}: write {odd} as HTML entities"
    page = browser.get("/")
    assert page.status_code == 200 and page.text.isascii() and "&middot;" in page.text


def test_templates_read_the_environments_globals_and_keep_their_own_apart():
    # One dict for the templates that bring no globals (an {% import %} compares key sets in
    # C); a template given globals of its own overlays them, never writing into the site's.
    assert env.get_template("base.html").globals is env.globals
    own = env.from_string("{{ greeting }} {{ static_url('a.css') }}", globals={"greeting": "hi"})
    assert own.render().startswith("hi /static/a.css?v=")
    assert "greeting" not in env.globals
