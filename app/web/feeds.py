"""Atom 1.0 feeds (RFC 4287): Latest, Top, an author's posts, a tag's posts, a post's comments,
and a member's private notifications.

Each feed answers a conditional GET from the change counters of what it shows
(app.api.conditional): `If-None-Match` with the current ETag is a 304 before any listing is
read or anything rendered. Every link is absolute, from SITE_URL, never from the request's
Host header. The feeds render in worker threads (plain `def`s): twenty entries are not for
the event loop; Latest and Top are shared pages (app.web.shared), kept whole.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Path, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app import rendering
from app.api import conditional
from app.db import engine_of
from app.deps import PostId, SessionDep, Username
from app.models import utcnow
from app.services import (
    NotFound,
    changes,
    feeds,
    inbox,
    mentions,
    posts,
    syndication,
    tags,
    users,
)
from app.web import PageRouter, shared

router = PageRouter()

ATOM = "application/atom+xml; charset=utf-8"
# The year in each id's tag: URI (RFC 4151): fixed, so an entry's id never changes.
ID_YEAR = 2026

TagName = Annotated[str, Path(max_length=64, description="The tag's name.")]
FeedToken = Annotated[str, Path(max_length=100, description="The feed's secret.")]


@dataclass
class Entry:
    id: str
    title: str
    path: str
    published: datetime
    updated: datetime
    author: str | None = None
    html: str | None = None
    text: str = ""
    categories: list[str] = field(default_factory=list)


@dataclass
class Feed:
    id: str
    title: str
    self_path: str
    page_path: str | None
    subtitle: str = ""
    author: str = ""
    updated: datetime | None = None


def _base(request: Request) -> str:
    return str(request.app.state.settings.base_url)


def _tag_uri(request: Request, what: str) -> str:
    host = urlsplit(_base(request)).hostname or "localhost"
    return f"tag:{host},{ID_YEAR}:{what}"


def _validate(
    request: Request, session: SessionDep, *scopes: str, key: str | None = None
) -> tuple[dict[str, str], datetime | None]:
    """The feed's ETag and Last-Modified headers, or NotModified (a 304) if the client's copy
    is current: before any listing is read."""
    tag, changed_at = conditional.validators(
        session, *scopes, key=key or conditional.listing_key(request)
    )
    return _headers(request, tag, changed_at), changed_at


def _headers(request: Request, tag: str, changed_at: datetime | None) -> dict[str, str]:
    probe = Response()
    conditional.answer(request, probe, tag, changed_at)
    return {
        name: probe.headers[name] for name in ("etag", "last-modified") if name in probe.headers
    }


def _answer(
    request: Request,
    feed: Feed,
    entries: list[Entry],
    headers: dict[str, str],
    changed_at: datetime | None,
) -> Response:
    newest = max((entry.updated for entry in entries), default=None)
    feed.updated = changed_at or newest or datetime(ID_YEAR, 1, 1, tzinfo=UTC)
    settings = request.app.state.settings
    feed.author = feed.author or settings.site_name
    template = request.app.state.templates.get_template("feeds/feed.xml")
    body = template.render(
        feed=feed, entries=entries, base=_base(request), site_name=settings.site_name
    )
    return Response(body, media_type=ATOM, headers=headers)


def _post_entries(request: Request, rows: list[Any]) -> list[Entry]:
    # Mentions link as on the post's page (under their current names): one read, and only
    # for the posts whose text has an "@".
    mentioned = mentions.linked_posts(
        request.app.state.engine, [row.id for row in rows if "@" in row.content]
    )
    return [
        Entry(
            id=_tag_uri(request, f"post:{row.id}"),
            title=row.title,
            path=f"/posts/{row.id}",
            published=row.created_at,
            updated=row.updated_at,
            author=row.author,
            html=rendering.render_post(
                row.id, row.updated_at, row.content, mentioned.get(row.id, ())
            ),
            categories=tags.split(row.tags),
        )
        for row in rows
    ]


# Latest and Top show what every reader sees, so they are shared pages (app.web.shared):
# rendered once per change of the site, and a reader's poll is a 304 before routing.
@router.get("/feeds/latest.atom")
async def latest_atom(request: Request) -> Response:
    render = partial(run_in_threadpool, _latest_atom, request)
    return await shared.answer(request, render, dated=True)


def _latest_atom(request: Request) -> Response:
    engine = request.app.state.engine
    window = feeds.search(engine=engine, limit=syndication.ENTRIES)
    name = request.app.state.settings.site_name
    feed = Feed(_tag_uri(request, "latest"), f"{name}: Latest", "/feeds/latest.atom", "/")
    entries = _post_entries(request, window.items)
    return _answer(request, feed, entries, {}, changes.site_state(engine)[1])


def _top_hour(engine: object = None) -> datetime:
    """Top's week moves on by itself: the feed is ranked as of the hour's start, and the hour
    is part of its validator, so a post leaving the week changes the ETag too."""
    return utcnow().replace(minute=0, second=0, microsecond=0)


@router.get("/feeds/top.atom")
async def top_atom(request: Request) -> Response:
    render = partial(run_in_threadpool, _top_atom, request)
    return await shared.answer(request, render, window=_top_hour, dated=True)


def _top_atom(request: Request) -> Response:
    engine = request.app.state.engine
    ranked = feeds.top(engine=engine, now=_top_hour()).items[: syndication.ENTRIES]
    rows = syndication.posts_by_ids(engine, [row.id for row in ranked])
    name = request.app.state.settings.site_name
    feed = Feed(_tag_uri(request, "top"), f"{name}: Top this week", "/feeds/top.atom", "/top")
    entries = _post_entries(request, rows)
    return _answer(request, feed, entries, {}, changes.site_state(engine)[1])


@router.get("/feeds/users/{username}.atom")
def user_atom(request: Request, session: SessionDep, username: Username) -> Response:
    author = users.get_available(session, username)
    headers, changed_at = _validate(request, session, changes.user(author.id))
    window = feeds.search(
        engine=engine_of(session), author=author.username, limit=syndication.ENTRIES
    )
    feed = Feed(
        _tag_uri(request, f"user:{author.id}"),
        f"Posts by {author.username}",
        f"/feeds/users/{author.username}.atom",
        f"/users/{author.username}",
        author=author.username,
    )
    return _answer(request, feed, _post_entries(request, window.items), headers, changed_at)


@router.get("/feeds/t/{name}.atom")
def tag_atom(request: Request, session: SessionDep, name: TagName) -> Response:
    try:
        tag = tags.named(session=session, name=name)
    except tags.TagMoved as moved:
        return RedirectResponse(f"/feeds/t/{moved.name}.atom", status_code=301)
    # Its posts are the site's scope (an edit, hide or vote moves it); its description is its own.
    headers, changed_at = _validate(request, session, changes.SITE, changes.tag(tag.id))
    if not tags.shows(session, tag):
        raise NotFound("There is no such tag.")
    assert tag.id is not None
    window = feeds.tagged(engine=engine_of(session), tag_id=tag.id, limit=syndication.ENTRIES)
    feed = Feed(
        _tag_uri(request, f"tag:{tag.id}"),
        f"Posts tagged {tag.name}",
        f"/feeds/t/{tag.name}.atom",
        f"/t/{tag.name}",
        subtitle=tag.description,
    )
    return _answer(request, feed, _post_entries(request, window.items), headers, changed_at)


@router.get("/feeds/posts/{post_id}/comments.atom")
def comments_atom(request: Request, session: SessionDep, post_id: PostId) -> Response:
    post, owner = posts.get_visible(session=session, post_id=post_id, viewer=None)
    # The post's scope moves with each of its comments (written, edited, removed, or their
    # author leaving); the owner's, when the post stops being seen with its author.
    headers, changed_at = _validate(request, session, changes.post(post.id), changes.user(owner.id))
    engine = engine_of(session)
    rows = syndication.recent_comments(engine, post_id)
    mentioned = mentions.linked(
        engine, post_id=post_id, comment_ids=[row.id for row in rows if "@" in row.content]
    )
    entries = [
        Entry(
            id=_tag_uri(request, f"comment:{row.id}"),
            title=f"{row.author} on “{post.title}”",
            path=f"/comments/{row.id}",
            published=row.created_at,
            updated=row.updated_at,
            author=row.author,
            html=rendering.render_comment(
                row.id, row.updated_at, row.content, mentioned.get(row.id, ())
            ),
        )
        for row in rows
    ]
    feed = Feed(
        _tag_uri(request, f"post:{post.id}:comments"),
        f"Comments on “{post.title}”",
        f"/feeds/posts/{post.id}/comments.atom",
        f"/posts/{post.id}",
    )
    return _answer(request, feed, entries, headers, changed_at)


def _notice(row: Any) -> str:
    """What a notification says, as the notifications page words it."""
    actor = row.actor or "Someone"
    title = row.post_title or ""
    if row.kind == "reply_post":
        return f"{actor} commented on your post “{title}”"
    if row.kind == "reply_comment":
        return f"{actor} replied to your comment on “{title}”"
    if row.kind == "mention":
        where = "in a comment on" if row.comment_id else "in"
        return f"{actor} mentioned you {where} “{title}”"
    if row.kind == "follow":
        return f"{actor} started following you"
    if row.kind == "milestone":
        votes = "vote" if row.milestone == 1 else "votes"
        return f"Your post “{title}” reached {row.milestone} {votes}"
    if row.kind == "warning":
        return f"A moderator warned you about something you wrote: {row.note}"
    return "Something happened"


@router.get("/feeds/notifications/{token}.atom")
def notifications_atom(request: Request, session: SessionDep, token: FeedToken) -> Response:
    user = syndication.feed_owner(session=session, token=token)
    # Their own scope moves with what is theirs (a follow, the feed's secret); the site's with
    # every post and comment, and so with whether each notification may still be seen.
    headers, changed_at = _validate(request, session, changes.SITE, changes.user(user.id))
    assert user.id is not None
    window = inbox.window(
        session=session, user_id=user.id, limit=syndication.ENTRIES, after=None, unread_only=False
    )
    entries = [
        Entry(
            id=_tag_uri(request, f"notification:{row.id}"),
            title=_notice(row),
            path=inbox.target(row),
            published=row.created_at,
            updated=row.created_at,
            author=row.actor,
            text=_notice(row),
        )
        for row in window.items
    ]
    feed = Feed(
        _tag_uri(request, f"user:{user.id}:notifications"),
        f"Notifications for {user.username}",
        f"/feeds/notifications/{token}.atom",
        "/notifications",
        author=user.username,
    )
    return _answer(request, feed, entries, headers, changed_at)
