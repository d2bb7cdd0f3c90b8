"""The one Jinja2 environment, its globals and filters, and the `render` helper pages use."""

import re
import secrets
import threading
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode
from weakref import WeakKeyDictionary

from fastapi.templating import Jinja2Templates
from jinja2 import (
    Environment,
    FileSystemLoader,
    Template,
    pass_context,
    pass_environment,
    select_autoescape,
)
from jinja2.filters import do_urlencode
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from app import __version__
from app.auth import PRESESSION_COOKIE, Auth
from app.config import PROJECT_DIR
from app.deps import csrf_binding
from app.security import (
    PRESESSION_MAX_AGE,
    clear_cookie,
    csrf_token_for,
    new_nonce,
    read_cookie,
    set_cookie,
    sign_value,
    unsign_value,
)

FLASH_COOKIE = "agora_flash"
FLASH_MAX_AGE = 300


class _Environment(Environment):
    """Jinja2's environment, with the environment's own globals for a template that brings none.

    Jinja2 gives each template a ChainMap over them, and each `{% import %}` compares the
    page's global names with the imported template's: through ChainMap's Python-level lookups,
    28 µs an import, and a drawn page imports the macros twice (docs/performance.md, "One map of
    globals"). With one dict the comparison is a set operation in C. Agora's templates bring no
    globals of their own, and the globals are set once, before the first template loads.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return super().make_globals(d) if d else self.globals


templates = Jinja2Templates(
    env=_Environment(
        loader=FileSystemLoader(PROJECT_DIR / "templates"),
        autoescape=select_autoescape(),
    )
)
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True
# Checking template files for changes costs a stat() per template per request: see _reloading.
env.auto_reload = False


def _state(request: Request) -> dict[str, Any]:
    """The dict behind `request.state`, read where a page asks often: State's getattr for a
    name it lacks raises and catches an AttributeError, which was a tenth of a page with a
    form per item (/notifications)."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def _auth(request: Request) -> Auth:
    return _state(request).get("auth") or Auth()


def csrf_token(request: Request) -> str:
    """The form token for this visitor, starting a pre-session for anonymous ones if needed.
    Made once per request, however many forms the page has."""
    state = _state(request)
    state["form_token_made"] = True  # this page is this visitor's: app.web.shared.answer
    if state.get("keeping") is not None:
        return _HOLE + "t_"
    made: str | None = state.get("form_token")
    if made is None:
        binding = csrf_binding(request, _auth(request))
        if binding is None:
            state["new_presession"] = new_nonce()
            binding = "p:" + state["new_presession"]
        made = state["form_token"] = csrf_token_for(binding, request.app.state.settings.signing_key)
    return made


def csrf_field(request: Request) -> Markup:
    # The token is hex from our own HMAC: no user text reaches this markup (and Markup.format,
    # which would escape it anyway, cost more than the HMAC).
    token = csrf_token(request)
    return Markup(f'<input type="hidden" name="csrf_token" value="{token}">')  # noqa: S704


def _flashes(request: Request) -> list[dict[str, str]]:
    if not hasattr(request.state, "flashes"):
        value = unsign_value(
            read_cookie(request, FLASH_COOKIE),
            key=request.app.state.settings.signing_key,
            salt="flash",
            max_age=FLASH_MAX_AGE,
        )
        request.state.flashes = value if isinstance(value, list) else []
        request.state.flashes_read = bool(read_cookie(request, FLASH_COOKIE))
    flashes: list[dict[str, str]] = request.state.flashes
    return flashes


def flash(response: Response, request: Request, message: str, category: str = "success") -> None:
    """Show `message` once on the next page this visitor sees."""
    value = sign_value(
        [{"message": message[:300], "category": category}],
        key=request.app.state.settings.signing_key,
        salt="flash",
    )
    set_cookie(response, request, FLASH_COOKIE, value, max_age=FLASH_MAX_AGE)


def static_url(path: str) -> str:
    """A root-relative URL for a file under static/, right behind any proxy or host name."""
    return f"/static/{path}?v={__version__}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """`one` for a count of 1, else `many` (by default `one` + "s"): `{{ n|plural("vote") }}`."""
    return one if count == 1 else (one + "s" if many is None else many)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def datefmt(value: date | None) -> str:
    """`26 Nov 2026, 16:40 UTC`, or `26 Nov 2026` for a day. Built by hand: strftime costs more
    than the whole feed query."""
    if value is None:
        return ""
    day = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if not isinstance(value, datetime):
        return day
    if value.utcoffset():
        value = value.astimezone(UTC)
    return f"{day}, {value.hour:02d}:{value.minute:02d} UTC"


def isodate(value: date | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds")


def atomtime(value: datetime) -> str:
    """An RFC 3339 date in UTC, as Atom's <updated> and <published> want it."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def timetag(value: date | None) -> Markup:
    """`<time datetime="…">26 Nov 2026, 16:40 UTC</time>`: the one way a page shows a date."""
    # Both parts are digits, month names and punctuation we format ourselves: no user text.
    # (Markup.format would escape them anyway, at the cost of the whole feed's escaping.)
    return Markup(f'<time datetime="{isodate(value)}">{datefmt(value)}</time>')  # noqa: S704


@pass_environment
def post_cards(environment: Environment, posts: Iterable[Any], voting: Any = None) -> Markup:
    """The cards of a post list (rows of `feeds.CARDS`), as HTML.

    A card is a pure function of its row: id, title, excerpt, state, date, votes, comment
    count, author, tags.
    The row's values are the cache key, so a new vote, an edit or a renamed author is a new key
    and a new card; nothing is ever served stale. Why: docs/performance.md, "Cards rendered
    once per row". What differs per viewer (the vote box) is not in the card: with `voting`
    (app.web.Voting) each card's plain score gives way to its viewer's vote box.
    """
    slot = None if voting is None else _vote_slot(environment, voting)
    # Development: templates may change under us, so no cache.
    card = partial(_render_card, environment) if environment.auto_reload else _cached_card
    # The key is what the card shows and nothing more (a row may carry a whole post's content),
    # as a plain tuple: comparing SQLAlchemy rows runs Python code, comparing tuples does not.
    posts = list(posts)
    parts = [card(_card_values(post)) for post in posts]
    if slot is None:
        return Markup("\n".join(["".join(part) for part in parts]))  # noqa: S704
    # Every piece is HTML: kept card HTML, and the kept output of the autoescaping vote_box
    # macro with escaped values put in.
    cards = zip(parts, posts, strict=True)
    return Markup("\n".join([f"{head}{slot(post)}{tail}" for (head, _, tail), post in cards]))  # noqa: S704


CARD_FIELDS = (
    "id",
    "title",
    "excerpt",
    "published",
    "hidden_at",
    "pending_at",
    "created_at",
    "vote_count",
    "comment_count",
    "author",
    "tags",
)
_card_values = attrgetter(*CARD_FIELDS)


# Marks, in posts/_card.html, the score a page may replace with its viewer's vote box.
SLOT = "<!--slot-->"


def _render_card(environment: Environment, values: tuple[Any, ...]) -> tuple[str, str, str]:
    """A card as (before the score, the plain score, after it)."""
    post = dict(zip(CARD_FIELDS, values, strict=True))
    module = environment.get_template("posts/_card.html").module
    # A template's macros are attributes jinja2 makes at run time; its types cannot name them.
    card: Callable[[dict[str, Any]], Markup] = module.card  # type: ignore[attr-defined]
    head, score, tail = str(card(post)).split(SLOT)
    return head, score, tail


# ~1 kB a card: a few MB for the cards of every page people are reading.
_cached_card = lru_cache(maxsize=4096)(partial(_render_card, env))

# Stand-ins for the page's form token and a card's return address in a kept vote box: plain
# words, which autoescaping and URL-encoding leave as they are.
_TOKEN, _BACK = "vote-slot-token", "vote-slot-back"
_STAND_INS = re.compile(f"({_TOKEN}|{_BACK})")


def _render_vote_box(
    environment: Environment, post_id: int, count: int, who: str, voted: bool, size: str
) -> tuple[str, ...]:
    """The `vote_box` macro's HTML for a post seen by a "visitor", a "member" or its "owner",
    split around the stand-ins (at the odd places of the tuple)."""
    module = environment.get_template("_macros.html").module
    vote_box: Callable[..., Markup] = module.vote_box  # type: ignore[attr-defined]
    post = {"id": post_id, "vote_count": count, "author": "a"}
    viewer = None if who == "visitor" else {"username": "a" if who == "owner" else "b"}
    return tuple(_STAND_INS.split(str(vote_box(post, viewer, voted, _TOKEN, _BACK, size))))


# The vote boxes are kept like the cards, by what they show (a few hundred bytes each): the
# macro ran once per card per page for every member, a sixth of the logged-in feed's time.
_cached_vote_box = lru_cache(maxsize=8192)(partial(_render_vote_box, env))


def _vote_slot(environment: Environment, voting: Any) -> Callable[[Any], str]:
    """Each card's vote box for the page's viewer (app.web.Voting): the macro's kept HTML with
    the page's one token and the card's return address put in, escaped as the macro does (a
    visitor's box is a link to log in, whose address is URL-encoded first). On a page drawn to
    be kept for every member, a hole instead, the card noted for filling it (`fill`)."""
    if voting.keeping is not None:
        slots: Slots = voting.keeping

        def hole(post: Any) -> str:
            slots[f"v{post.id}"] = Card(post.id, post.vote_count, post.author)
            return f"{_HOLE}v{post.id}_"

        return hole
    token = str(escape(voting.token or ""))

    def slot(post: Any) -> str:
        back = f"{voting.here}#post-{post.id}"
        voted = post.id in voting.voted
        return _box(environment, post, voting.viewer, voted, token, back, " vote-card")

    return slot


def _box(
    environment: Environment,
    post: Any,
    viewer: Any,
    voted: bool,
    token: str,
    back: str,
    size: str = "",
) -> str:
    """A post's vote box for `viewer` from the kept macro HTML: `token` (escaped already) and
    the return address `back` put in (URL-encoded first for a visitor's link to log in)."""
    box = partial(_render_vote_box, environment) if environment.auto_reload else _cached_vote_box
    if viewer is None:
        who, back = "visitor", do_urlencode(back)
    else:
        who = "owner" if viewer.username == post.author else "member"
    values = {_TOKEN: token, _BACK: str(escape(back))}
    return _put_in(box(post.id, post.vote_count, who, voted, size), values)


@pass_context
def post_vote(context: Context, post: Any) -> Markup:
    """The post page's vote box for its viewer (a hole, on a page kept for every member)."""
    request: Request = context["request"]
    slots = keeping(request)
    if slots is not None:
        slots["p"] = Card(post.id, post.vote_count, post.author)
        return Markup(_HOLE + "p_")  # noqa: S704 - a word of our own
    viewer = context["viewer"]
    token = str(escape(csrf_token(request))) if viewer is not None else ""
    html = _box(context.environment, post, viewer, bool(post.voted), token, f"/posts/{post.id}")
    return Markup(html)  # noqa: S704 - kept output of the autoescaping macro


def _draw_reader_actions(environment: Environment, post: Any, viewer: Any, token: str) -> str:
    module = environment.get_template("posts/_reader.html").module
    draw: Callable[..., Markup] = module.reader_actions  # type: ignore[attr-defined]
    return str(draw(post, viewer, token))


@pass_context
def reader_actions(context: Context, post: Any) -> Markup:
    """What the logged-in viewer may do with a post, under it (a hole, on a kept page)."""
    request: Request = context["request"]
    slots = keeping(request)
    if slots is not None:
        slots["r"] = Card(post.id, post.vote_count, post.author)
        return Markup(_HOLE + "r_")  # noqa: S704 - a word of our own
    html = _draw_reader_actions(context.environment, post, context["viewer"], csrf_token(request))
    return Markup(html)  # noqa: S704 - the autoescaping macro's output


# A thread's comments are kept the same way: a comment's HTML is a function of what it shows
# (its place in the thread, its author and times, votes, state) and of how the viewer stands
# to it, with stand-ins for its rendered Markdown and the page's form token. Drawing the macro
# for each comment was three quarters of a member's 200-comment page.
_CONTENT, _FORM_TOKEN = "comment-slot-content", "comment-slot-token"
_COMMENT_STAND_INS = re.compile(f"({_CONTENT}|{_FORM_TOKEN})")
_A_MOMENT = timedelta(microseconds=1)


def _render_comment(environment: Environment, key: tuple[Any, ...]) -> tuple[str, ...]:
    """The `comment` macro's HTML for `key` (see `_comment_key`), split around the stand-ins
    (at the odd places of the tuple)."""
    (post_id, indent, reply_to, shown, cut, folded, comment_id, author, created_at, edited,
     votes, pending, removed_reason, voted, relation) = key  # fmt: skip
    row = SimpleNamespace(
        id=comment_id,
        author=author,
        author_id=1 if relation == "author" else 2,
        created_at=created_at,
        updated_at=created_at + _A_MOMENT if edited else created_at,
        vote_count=votes,
        voted=voted,
        pending_at=pending or None,
        removed_reason=removed_reason,
    )
    entry = SimpleNamespace(
        row=row, indent=indent, reply_to=reply_to, shown=shown, cut=cut, folded=folded
    )
    moderator = relation == "moderator"
    viewer = None if relation == "visitor" else SimpleNamespace(id=1, is_moderator=moderator)
    module = environment.get_template("comments/_comment.html").module
    draw: Callable[..., Markup] = module.comment  # type: ignore[attr-defined]
    html = draw(entry, {comment_id: _CONTENT}, viewer, SimpleNamespace(id=post_id), _FORM_TOKEN)
    return tuple(_COMMENT_STAND_INS.split(str(html)))


# ~1.5 kB a comment (its Markdown is not in it): about 12 MB at most.
_cached_comment = lru_cache(maxsize=8192)(partial(_render_comment, env))


def _comment_key(entry: Any, viewer: Any, post_id: int) -> tuple[Any, ...]:
    """What a comment shows `viewer`: what it shows anyone (`_comment_base`), then whether they
    vote for it and how they stand to it (a kept page's hole puts in a member's own: `fill`)."""
    row = entry.row
    return (*_comment_base(entry, post_id), bool(row.voted), _relation(viewer, row.author_id))


def _comment_base(entry: Any, post_id: int) -> tuple[Any, ...]:
    row = entry.row
    return (
        post_id,
        entry.indent,
        entry.reply_to,
        entry.shown,
        entry.cut,
        entry.folded,
        row.id,
        row.author,
        row.created_at,
        row.updated_at > row.created_at,
        row.vote_count,
        row.pending_at is not None,
        row.removed_reason,
    )


def _relation(viewer: Any, author_id: int) -> str:
    if viewer is None:
        return "visitor"
    if viewer.id == author_id:
        return "author"
    return "moderator" if viewer.is_moderator else "member"


@pass_context
def comment_list(
    context: Context, entries: Iterable[Any], html: dict[int, Any], viewer: Any, post: Any
) -> Markup:
    """A thread's comments (app.services.threads entries) as the `comment` macro draws them,
    each kept by what it shows, with its rendered Markdown and the page's token put in."""
    slots = keeping(context["request"])
    if slots is not None:  # on a page kept for every member: a hole each
        for entry in entries:
            content = str(html.get(entry.row.id, ""))
            slots[f"c{entry.row.id}"] = (
                _comment_base(entry, post.id),
                entry.row.author_id,
                content,
            )
        return Markup("\n".join(f"{_HOLE}c{entry.row.id}_" for entry in entries))  # noqa: S704
    token = csrf_token(context["request"]) if viewer is not None else ""
    pieces = [
        _comment(context.environment, entry, html.get(entry.row.id, ""), viewer, post.id, token)
        for entry in entries
    ]
    # Kept output of the autoescaping macro, with Markdown the renderer made safe and a hex token.
    return Markup("\n".join(pieces))  # noqa: S704


def _comment(
    environment: Environment, entry: Any, content: Any, viewer: Any, post_id: int, token: str
) -> str:
    """One comment from its kept HTML, its rendered Markdown and the page's token put in."""
    draw = partial(_render_comment, environment) if environment.auto_reload else _cached_comment
    values = {_CONTENT: str(content), _FORM_TOKEN: token}
    return _put_in(draw(_comment_key(entry, viewer, post_id)), values)


def _put_in(parts: tuple[str, ...], values: dict[str, str]) -> str:
    """Kept HTML split around its stand-ins (at the odd places), with `values` put in."""
    return "".join([values[part] if i % 2 else part for i, part in enumerate(parts)])


# A notification's HTML is a function of its row (read or not), with a stand-in for the page's
# form token: one form per notification made the macro most of /notifications' time.
_NOTE_TOKEN = "note-slot-token"  # noqa: S105 - a stand-in, not a secret


def _render_notification(environment: Environment, row: tuple[Any, ...]) -> tuple[str, str]:
    """The `notification` macro's HTML for a row of `inbox.page`, split around the token."""
    module = environment.get_template("notifications/_item.html").module
    draw: Callable[..., Markup] = module.notification  # type: ignore[attr-defined]
    before, after = str(draw(row, _NOTE_TOKEN)).split(_NOTE_TOKEN)
    return before, after


# ~700 bytes a notification: a few MB for every inbox page people are reading.
_cached_notification = lru_cache(maxsize=8192)(partial(_render_notification, env))


@pass_context
def notification_list(context: Context, rows: Iterable[Any]) -> Markup:
    """/notifications' items (rows of app.services.inbox.page, whose values are the key: one
    opened is a new row), each kept, with the page's form token put in."""
    environment = context.environment
    draw = (
        partial(_render_notification, environment)
        if environment.auto_reload
        else _cached_notification
    )
    token = csrf_token(context["request"])
    # Kept output of the autoescaping macro, with a hex token put in.
    return Markup("\n".join(token.join(draw(row)) for row in rows))  # noqa: S704


# The side column's HTML, per kept column (app.services.sidebar) and kind of viewer: the same
# for every member (and for every visitor), so drawn once per count, not once per page.
_side_html: "WeakKeyDictionary[Any, dict[tuple[bool, str], Markup]]" = WeakKeyDictionary()
_side_lock = threading.Lock()


@pass_context
def side_column(context: Context, side: Any) -> Markup:
    """posts/_side.html for `side`, drawn once per count of it and kind of viewer."""
    member, site_name = bool(context.get("viewer")), str(context.get("site_name"))
    template = context.environment.get_template("posts/_side.html")
    if context.environment.auto_reload:  # development: the template may have changed
        return Markup(template.render(side=side, viewer=member, site_name=site_name))  # noqa: S704
    html = _side_html.get(side, {}).get((member, site_name))
    if html is None:
        # Autoescaped by the template: every value in it was escaped as it was drawn.
        html = Markup(template.render(side=side, viewer=member, site_name=site_name))  # noqa: S704
        with _side_lock:  # Top renders in worker threads
            _side_html.setdefault(side, {})[member, site_name] = html
    return html


# A member's part of the header, kept like the vote boxes by what it shows (their name and
# role, the unread count, whether it is the notifications page) with a stand-in for the token.
_NAV_TOKEN = "nav-slot-token"  # noqa: S105 - a stand-in, not a secret


def _render_nav(
    environment: Environment, username: str, moderator: bool, unread: int, current: bool
) -> tuple[str, str]:
    """The `member_nav` macro's HTML, split around the form token's stand-in."""
    module = environment.get_template("_macros.html").module
    draw: Callable[..., Markup] = module.member_nav  # type: ignore[attr-defined]
    viewer = SimpleNamespace(username=username, is_moderator=moderator)
    before, after = str(draw(viewer, unread, current, _NAV_TOKEN)).split(_NAV_TOKEN)
    return before, after


_cached_nav = lru_cache(maxsize=4096)(partial(_render_nav, env))


def _nav(environment: Environment, viewer: Any, unread: int, path: str, token: str) -> str:
    draw = partial(_render_nav, environment) if environment.auto_reload else _cached_nav
    # The count reads "99+" from 100 on (and app.services.inbox counts no further).
    shown = min(unread or 0, 100)
    before, after = draw(viewer.username, viewer.is_moderator, shown, path == "/notifications")
    return f"{before}{token}{after}"  # the token is hex from our own HMAC


@pass_context
def member_nav(context: Context) -> Markup:
    """The header's part for the logged-in viewer (a hole, on a page kept for every member)."""
    request: Request = context["request"]
    if keeping(request) is not None:
        return Markup(_HOLE + "n_")  # noqa: S704 - a word of our own
    token = csrf_token(request)
    # Kept output of the autoescaping macro, with a hex token put in.
    html = _nav(
        context.environment, context["viewer"], context["unread"], request.scope["path"], token
    )
    return Markup(html)  # noqa: S704


# A page kept for every member alike (app.web.shared): drawn once per version and kind of
# member, with holes where one member's page differs from another's (the header's part, the
# form token, each vote box, a post's reader actions, each comment), filled for each request
# by the functions that draw those parts on any page. A hole is a word no other text on a page
# can hold, random for each process, and left as it is by escaping and URL-encoding.
_HOLE = "hole" + secrets.token_hex(8)
_HOLES = re.compile(f"{_HOLE}(t|n|p|r|[vc][0-9]+)_")

# What a kept page's holes show, by hole name: "v{id}" a card's vote box and "p" the post's
# own (a Card), "r" the post's reader actions (a Card), "c{id}" a comment (what it shows
# anyone, `_comment_base`; its author's id; its rendered Markdown). "t" and "n" need nothing
# but the member.
Slots = dict[str, Any]


class Card(NamedTuple):
    """What a post's vote box shows, noted where a kept page has a hole for it."""

    id: int
    vote_count: int
    author: str


@dataclass(frozen=True)
class Member:
    """What one member's parts of a kept page are drawn from."""

    voting: Any  # app.web.Voting: the viewer, their votes among the cards, the token, the URL
    unread: int
    post: Any = None  # a post page's row as they read it (posts.get_page): their vote, bookmark
    comments_voted: frozenset[int] = frozenset()  # a post page's comments they vote for


def keeping(request: Request) -> Slots | None:
    """While a page is drawn to be kept for every member: what its holes show."""
    slots: Slots | None = _state(request).get("keeping")
    return slots


def holes(html: str) -> tuple[str, ...]:
    """A kept page split around its holes (their names at the odd places of the tuple)."""
    return tuple(_HOLES.split(html))


def fill(environment: Environment, parts: tuple[str, ...], slots: Slots, member: Member) -> str:
    """A kept page for `member`: each hole drawn as on any page."""
    voting = member.voting
    viewer, token = voting.viewer, voting.token
    card_box = _vote_slot(environment, voting)
    comment = partial(_render_comment, environment) if environment.auto_reload else _cached_comment
    path = voting.here.partition("?")[0]
    pieces = list(parts)
    for i in range(1, len(pieces), 2):
        name = pieces[i]
        kind = name[0]
        if kind == "t":
            pieces[i] = token
        elif kind == "n":
            pieces[i] = _nav(environment, viewer, member.unread, path, token)
        elif kind == "v":
            pieces[i] = card_box(slots[name])
        elif kind == "c":
            base, author_id, content = slots[name]
            key = (*base, base[6] in member.comments_voted, _relation(viewer, author_id))
            pieces[i] = _put_in(comment(key), {_CONTENT: content, _FORM_TOKEN: token})
        elif kind == "p":
            post, back = member.post, f"/posts/{member.post.id}"
            pieces[i] = _box(environment, post, viewer, bool(post.voted), token, back)
        else:  # "r"
            pieces[i] = _draw_reader_actions(environment, member.post, viewer, token)
    return "".join(pieces)


env.globals.update(
    member_nav=member_nav,
    post_vote=post_vote,
    reader_actions=reader_actions,
    side_column=side_column,
    comment_list=comment_list,
    notification_list=notification_list,
    post_cards=post_cards,
    csrf_field=csrf_field,
    csrf_token=csrf_token,
    get_flashed_messages=_flashes,
    static_url=static_url,
)
env.filters.update(plural=plural, timetag=timetag, atomtime=atomtime)


class PageResponse(HTMLResponse):
    """A rendered page that, like Starlette's TemplateResponse, tells the test client its
    template and context (`response.template`, `response.context`)."""

    def __init__(
        self,
        template: Template,
        context: dict[str, Any],
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.template = template
        self.context = context
        super().__init__(template.render(context), status_code=status_code, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only the test client asks for this extension; servers never do.
        if "http.response.debug" in (scope.get("extensions") or ()):
            info = {"template": self.template, "context": self.context}
            await send({"type": "http.response.debug", "info": info})
        await super().__call__(scope, receive, send)


# The same templates, checked for changes on disk at each use (a stat() per template per
# request: development only). An overlay shares the globals and filters, not the cache.
_reloading = env.overlay(auto_reload=True)


def environment(*, reload: bool) -> Environment:
    """The environment an app renders with; each app keeps its choice in `app.state`."""
    return _reloading if reload else env


# The query parameters that make a different page; any other is left out of the canonical URL.
CANONICAL_PARAMS = ("q", "page", "before")


def canonical_url(request: Request) -> str:
    """This page's address for search engines and link previews: SITE_URL, never the Host header."""
    base: str = request.app.state.settings.base_url
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in CANONICAL_PARAMS]
    kept = [(k, v) for k, v in kept if not (k == "page" and v == "1")]
    return base + quote(request.url.path) + (f"?{urlencode(kept)}" if kept else "")


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> PageResponse:
    """Render a page, then attach any cookie the render needed (pre-session, spent flash)."""
    context = {
        "request": request,
        "site_name": request.app.state.settings.site_name,
        "site_url": request.app.state.settings.base_url,
        "canonical": canonical_url(request),
        # Who is looking (an app.models.Viewer, or None): read once here, not per use.
        "viewer": _auth(request).user,
        "unread": _auth(request).unread,
        **(context or {}),
    }
    template = request.app.state.templates.get_template(name)
    response = PageResponse(template, context, status_code, headers)
    nonce = getattr(request.state, "new_presession", None)
    if nonce:
        signed = sign_value(nonce, key=request.app.state.settings.signing_key, salt="presession")
        set_cookie(response, request, PRESESSION_COOKIE, signed, max_age=PRESESSION_MAX_AGE)
    if getattr(request.state, "flashes_read", False):
        clear_cookie(response, request, FLASH_COOKIE)
    return response
