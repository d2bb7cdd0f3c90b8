"""Post content is Markdown (CommonMark): rendered here to safe HTML, or reduced to plain text.

On top of CommonMark: GitHub-style tables, ~~strikethrough~~, task lists and bare http(s) and
email addresses as links. Headings move down a level (`#` is an <h2>): the page's <h1> is the title.

Safety does not rest on escaping alone. Raw HTML is off, so `<script>` stays text; every link and
image destination (bare addresses too) passes `safe_url`, which allows only http, https, mailto
and same-site paths; links get rel="nofollow ugc noopener"; images from other sites become
links, since the CSP would refuse to load them anyway.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from functools import lru_cache, partial
from typing import Generic, TypeVar
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape
from mdit_py_plugins.tasklists import tasklists_plugin

LINK_REL = "nofollow ugc noopener"
# About 25 times the longest post (CONTENT_MAX): honest Markdown stays far below, while a short
# reference used thousands of times (tens of MB of HTML per view) is refused or not shown.
RENDERED_MAX = 512_000
# A comment is at most half a post's length, and a page shows many of them: each gets far less.
COMMENT_RENDERED_MAX = 64_000
TOO_LARGE = Markup(  # noqa: S704 - our own constant markup
    '<p class="too-large">This post is too large to display.</p>'
)
SAFE_SCHEMES = ("http", "https", "mailto")
# Browsers drop these anywhere in a URL before reading its scheme ("java\tscript:" works).
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# `@name` as a username is spelled (app.services.validation.USERNAME_RE), not inside a word
# ("bob@example.com") nor run on into one.
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,30})(?![\w@])", re.ASCII)
MENTIONS = "agora_mentions"  # the render env's {name_key: current username} of linked mentions


def safe_url(url: str) -> bool:
    """Whether a link destination is harmless: a same-site reference or http(s)/mailto.

    markdown-it has already decoded character references (`&#106;avascript:`) by now; we also
    look through percent-encoding and the characters browsers ignore, and refuse anything whose
    scheme is not on the list, so no spelling of `javascript:`, `vbscript:` or `data:` gets by.
    """
    for candidate in (url, unquote(url)):
        compact = _IGNORED_IN_URLS.sub("", candidate).lower()
        if compact.startswith(("//", "\\\\", "/\\", "\\/")):
            continue  # protocol-relative: another site over http(s), which is allowed
        match = _SCHEME.match(compact)
        if match and match.group(1) not in SAFE_SCHEMES:
            return False
        if ":" in compact.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0] and not match:
            return False  # "a b:c" and other oddities a browser might read as a scheme
    return True


def _same_site(url: str) -> bool:
    return url.startswith("/") and not url.startswith(("//", "/\\"))


class _OverBudget(Exception):
    pass


_BUDGET = "agora_budget"  # the characters of HTML still allowed, kept in the render env


def _spend(env: EnvType, piece: str) -> str:
    if _BUDGET in env:
        env[_BUDGET] -= len(piece)
        if env[_BUDGET] < 0:
            raise _OverBudget
    return piece


class _SafeRenderer(RendererHTML):
    # RendererHTML's two loops, counting the output as it grows, so an oversized rendering
    # stops at the budget instead of first building all of it.
    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        out: list[str] = []
        for i, token in enumerate(tokens):
            if token.type == "inline":
                if token.children:  # counted piece by piece in renderInline
                    out.append(self.renderInline(token.children, options, env))
            elif token.type in self.rules:
                out.append(_spend(env, self.rules[token.type](tokens, i, options, env)))
            else:
                out.append(_spend(env, self.renderToken(tokens, i, options, env)))
        return "".join(out)

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        out: list[str] = []
        for i, token in enumerate(tokens):
            if token.type in self.rules:
                out.append(_spend(env, self.rules[token.type](tokens, i, options, env)))
            else:
                out.append(_spend(env, self.renderToken(tokens, i, options, env)))
        return "".join(out)

    def link_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        tokens[idx].attrSet("rel", LINK_REL)
        return self.renderToken(tokens, idx, options, env)

    def mention(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # Only the names stored for this item (people who exist) link, under their current name.
        token = tokens[idx]
        username = env.get(MENTIONS, {}).get(token.meta["key"])
        if username is None:
            return str(escape(token.content))
        return f'<a class="mention" href="/users/{username}">@{username}</a>'

    def html_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        # Raw HTML is off, so the task-list plugin's checkbox is the only inline HTML there is.
        # It becomes a named mark, not a form control: posts never contain <input>.
        return TASK_MARKS.get(tokens[idx].content) or str(escape(tokens[idx].content))

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        if _same_site(src):
            return super().image(tokens, idx, options, env)
        # The CSP loads images from this site only: show the picture's address as a link.
        alt = self.renderInlineAsText(token.children or [], options, env) or src
        return f'<a href="{escape(src)}" rel="{LINK_REL}">{escape(alt)}</a>'


def _split_mentions(state: StateCore) -> None:
    """Turn each `@name` of plain text into a `mention` token; code spans, code blocks and link
    texts are other tokens, so a name there stays as it is."""
    for block in state.tokens:
        if block.type != "inline" or not block.children or "@" not in block.content:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            in_link += (token.type == "link_open") - (token.type == "link_close")
            if token.type != "text" or in_link or "@" not in token.content:
                children.append(token)
                continue
            # Text split by an escape or entity ("x&amp;@bob") may run on from a word.
            before = children[-1].content[-1:] if children else ""
            after_word = bool(re.match(r"[\w@]", before, re.ASCII))
            start = 0
            for match in _MENTION.finditer(token.content):
                if match.start() == 0 and after_word:
                    continue
                if match.start() > start:
                    children.append(_text(token.content[start : match.start()]))
                mention = Token("mention", "", 0, content=match.group())
                mention.meta = {"key": match.group(1).lower()}
                children.append(mention)
                start = match.end()
            if start == 0:
                children.append(token)
            elif start < len(token.content):
                children.append(_text(token.content[start:]))
        block.children = children


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


# What mdit-py-plugins' tasklists writes for "- [ ]" and "- [x]", and what is shown instead.
TASK_MARKS = {
    '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox">': (
        '<span class="task-box" role="img" aria-label="to do">☐</span>'
    ),
    '<input class="task-list-item-checkbox" checked="checked" disabled="disabled" '
    'type="checkbox">': '<span class="task-box task-done" role="img" aria-label="done">☑</span>',
}


def _fit_to_page(state: StateCore) -> None:
    """Headings one level down (the page's title is its <h1>), and a table column's alignment
    as a class: the CSP refuses inline styles."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close") and token.tag != "h6":
            token.tag = f"h{int(token.tag[1]) + 1}"
        elif token.type in ("th_open", "td_open") and token.attrs.get("style"):
            align = str(token.attrs.pop("style")).removeprefix("text-align:")
            token.attrSet("class", f"align-{align}")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True}, renderer_cls=_SafeRenderer)
    md.enable(["table", "strikethrough", "linkify"]).use(tasklists_plugin)
    # Only addresses with a scheme (or an @): "README.md" and "e.g." stay words.
    assert md.linkify is not None  # linkify-it-py is a dependency (markdown-it-py[linkify])
    md.linkify.set({"fuzzy_link": False})
    md.core.ruler.push("fit_to_page", _fit_to_page)
    md.validateLink = safe_url  # type: ignore[method-assign]  # markdown-it's documented hook
    # Before text_join, which would merge an escaped "\@" back into plain text.
    md.core.ruler.before("text_join", "mention", _split_mentions)
    return md


_md = _parser()


Mentioned = tuple[tuple[str, str], ...]  # (name as written, lower-cased; current username)


def _render_within(text: str, budget: int, mentioned: Mentioned = ()) -> str | None:
    try:
        env = {_BUDGET: budget, MENTIONS: dict(mentioned)}
        html: str = _md.render(text, env)  # markdown-it types it Any
    except _OverBudget:
        return None
    return html


def render(text: str, budget: int = RENDERED_MAX, mentioned: Mentioned = ()) -> Markup:
    """Markdown to HTML that is safe to insert into a page as it is; TOO_LARGE past the budget.

    Saving refuses such content (fits_budget), so only content stored before that rule, or
    pushed over it by a change of the renderer, ever shows the placeholder. `mentioned` names
    the `@name`s that link (app.services.mentions); any other stays text.
    """
    html = _render_within(text, budget, mentioned)
    if html is None:
        return TOO_LARGE
    return Markup(html)  # noqa: S704 - html off, URLs checked: see module docstring


def fits_budget(text: str, budget: int = RENDERED_MAX) -> bool:
    """Whether the Markdown renders to at most `budget` characters of HTML."""
    return _render_within(text, budget) is not None


def mentioned_names(text: str) -> list[str]:
    """The `@name`s a reader sees as mentions, lower-cased, each once, in order."""
    if "@" not in text:
        return []
    names: dict[str, None] = {}
    for block in _md.parse(text):
        for token in block.children or ():
            if token.type == "mention":
                names.setdefault(token.meta["key"])
    return list(names)


def plain_text(text: str) -> str:
    """What a reader sees of the Markdown, as one line of text: no syntax, no markup."""
    parts: list[str] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            if token.type in ("text", "code_inline", "mention"):
                parts.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif token.type in ("code_block", "fence"):
                parts.append(" " + token.content + " ")
            elif token.children:
                walk(token.children)
            elif token.type.endswith("_close") and token.block:
                parts.append(" ")

    walk(_md.parse(text))
    return " ".join("".join(parts).split())


EXCERPT_CHARS = 240


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of the Markdown's plain text, cut at a word boundary near `limit` characters."""
    return shorten(plain_text(text), limit)


def shorten(plain: str, limit: int = EXCERPT_CHARS) -> str:
    """Plain text cut at a word boundary near `limit` characters, with an ellipsis if cut."""
    if len(plain) <= limit:
        return plain
    cut = plain[:limit]
    space = cut.rfind(" ")
    if space > limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


Rendered = TypeVar("Rendered", bound=str)  # Markup or plain text


class RevisionCache(Generic[Rendered]):
    """A small thread-safe LRU of rendered posts keyed by (post id, updated_at).

    Why a per-process cache rather than a stored HTML column: rendering depends only on the
    content, and an edit always moves updated_at, so a stale entry can never be served and the
    workers need not agree on anything. Nothing to migrate or backfill when the renderer changes,
    no doubling of the posts table, and a popular post renders once per worker. Memory is bounded
    by `max_chars` of output, not by entry count, since one post can be 100 times another.
    """

    def __init__(self, max_chars: int = 8_000_000) -> None:
        self.max_chars = max_chars
        self._items: OrderedDict[Hashable, tuple[Rendered, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, text: str, fn: Callable[[str], Rendered]) -> Rendered:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = fn(text)
        size = len(value)
        with self._lock:
            if key not in self._items and size <= self.max_chars:
                self._items[key] = (value, size)
                self._size += size
                while self._size > self.max_chars:
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._size -= dropped
        return value

    def peek(self, key: Hashable) -> Rendered | None:
        """The cached value for `key`, or None; never renders."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return None if found is None else found[0]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


_html_cache: RevisionCache[Markup] = RevisionCache()
_text_cache: RevisionCache[str] = RevisionCache(max_chars=2_000_000)


# The names a revision's mentions link under are part of its key: a renamed (or suspended)
# person is a new key, so a page never keeps showing a name that is not theirs any more, and
# content without mentions keeps one entry per revision.


def render_post(
    post_id: int, updated_at: datetime, content: str, mentioned: Mentioned = ()
) -> Markup:
    """The post's HTML, rendered once per revision and then served from memory."""
    return _html_cache.get(
        (post_id, updated_at, mentioned), content, partial(render, mentioned=mentioned)
    )


def cached_post_html(
    post_id: int, updated_at: datetime, mentioned: Mentioned = ()
) -> Markup | None:
    """The post's HTML if this process has rendered this revision already."""
    return _html_cache.peek((post_id, updated_at, mentioned))


def render_comment(
    comment_id: int, updated_at: datetime, content: str, mentioned: Mentioned = ()
) -> Markup:
    """A comment's HTML, rendered by the same renderer as posts, once per revision."""
    return _html_cache.get(
        ("comment", comment_id, updated_at, mentioned),
        content,
        partial(render, budget=COMMENT_RENDERED_MAX, mentioned=mentioned),
    )


def cached_comment_html(
    comment_id: int, updated_at: datetime, mentioned: Mentioned = ()
) -> Markup | None:
    """The comment's HTML if this process has rendered this revision already."""
    return _html_cache.peek(("comment", comment_id, updated_at, mentioned))


def post_text(post_id: int, updated_at: datetime, content: str) -> str:
    """The post's plain text, once per revision (search snippets are cut from it)."""
    return _text_cache.get((post_id, updated_at), content, plain_text)


def comment_text(comment_id: int, updated_at: datetime, content: str) -> str:
    """A comment's plain text, once per revision (for its search snippet)."""
    return _text_cache.get(("comment", comment_id, updated_at), content, plain_text)


_SUFFIXES = ("ingly", "edly", "ing", "ies", "ed", "es", "ly", "s")


@lru_cache(maxsize=8192)  # a snippet checks the same few words over and over
def _root(word: str) -> str:
    # Close enough to the databases' stemmers to mark "gardens" for the query "gardening".
    for _ in range(2):  # "mornings" -> "morning" -> "morn"
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


@lru_cache(maxsize=256)
def _candidates(roots: frozenset[str], escaped: bool = False) -> re.Pattern[str]:
    """Whole words that start with one of the roots: the regex engine finds the few
    candidates, so Python looks at those alone, not at every word of a long post.

    In `escaped` text a word right after "&" or "&#" is part of an entity ("&amp;", "&#39;"),
    which must stay whole, so it is no candidate there.
    """
    alternatives = "|".join(re.escape(root) for root in sorted(roots, key=len, reverse=True))
    not_entity = r"(?<!&)(?<!&\#)" if escaped else ""
    return re.compile(rf"(?<![^\W_]){not_entity}(?:{alternatives})[^\W_]*", re.IGNORECASE)


def highlight(text: str, words: Sequence[str], width: int = 220) -> Markup:
    """A window of plain `text` around the first matching word, with matches in <mark>.

    The window is escaped first and our own <mark> tags are added around whole words in it
    (letters and digits only, never part of an entity), so nothing in the text can become
    markup.
    """
    roots = frozenset(_root(word.lower()) for word in words)
    candidates = _candidates(roots)
    # Only as far into the text as the first match: a long post is not scanned to its end.
    first = next((m for m in candidates.finditer(text) if _root(m.group().lower()) in roots), None)
    start = 0
    if first and first.start() > width // 3:
        start = text.rfind(" ", 0, first.start() - width // 4) + 1
    end = min(len(text), start + width)
    if end < len(text) and (space := text.rfind(" ", start, end)) > start + width // 2:
        end = space

    def mark(match: re.Match[str]) -> str:
        word = match.group()
        return f"<mark>{word}</mark>" if _root(word.lower()) in roots else word

    window = str(escape(text[start:end]))
    if first:
        window = _candidates(roots, escaped=True).sub(mark, window)
    return Markup(("…" if start else "") + window + ("…" if end < len(text) else ""))  # noqa: S704
