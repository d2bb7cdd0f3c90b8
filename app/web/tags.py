"""Tags: the list of tags, a tag's page (Latest and Top), following and filtering a tag, and
what moderators do to one."""

from collections.abc import Awaitable
from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app import pagination
from app.db import engine_of
from app.deps import CurrentUser, FormStr, ModeratorUser, OptionalUser, PageNo, SessionDep
from app.models import Tag, User, Viewer
from app.services import ValidationFailed, feeds, tags
from app.templating import flash, render
from app.web import PageRouter, shared
from app.web.posts import top_window

router = PageRouter()

TagName = Annotated[str, Path(max_length=64, description="The tag's name.")]


def _load(request: Request, session: SessionDep, name: str) -> Tag | Response:
    """The tag `name` names; for an old name, a 301 to the new one (a form sent to an old
    name acts on the tag it became)."""
    try:
        return tags.get_visible(session=session, name=name)
    except tags.TagMoved as moved:
        if request.method not in ("GET", "HEAD"):
            return tags.get_visible(session=session, name=moved.name)
        url = tags.moved_path(request.url.path, name, moved.name)
        if request.url.query:
            url += "?" + request.url.query
        return RedirectResponse(url, status_code=301)


@router.get("/tags")
def tag_list(request: Request, session: SessionDep, page: PageNo = 1) -> Response:
    listing = tags.listing(session=session, page=page)
    pager = pagination.numbered(listing, "/tags", by_time=False)
    return render(request, "tags/index.html", {"page": listing, "pager": pager})


def _tag_page(
    request: Request,
    session: SessionDep,
    viewer: User | Viewer | None,
    tag: Tag,
    tab: str,
    items: list[object],
    pager: pagination.Pager,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "tags/show.html",
        {
            "tag": tag,
            "tab": tab,
            "items": items,
            "pager": pager,
            # Stored, kept exact by every write (app.services.tag_counts): counting afresh
            # walked every public post whatever the tag's size, 31 ms a page at 100k posts.
            "count": tag.public_posts,
            "following": tags.is_following(session=session, user=viewer, tag=tag),
            "filtered": tags.is_filtered(session=session, user=viewer, tag=tag),
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


# A visitor's tag page is every visitor's: a shared page (app.web.shared), its posts, count
# and description all moving the site's counter. The render reads through the ORM session:
# in the thread pool.
@router.get("/t/{name}")
async def tag_page(
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    name: TagName,
    before: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    def render() -> Awaitable[Response]:
        return run_in_threadpool(_latest, request, session, viewer, name, before)

    if shared.shareable(request, viewer):
        return await shared.answer(request, render)
    return await render()


def _latest(
    request: Request, session: SessionDep, viewer: Viewer | None, name: str, before: str | None
) -> Response:
    tag = _load(request, session, name)
    if isinstance(tag, Response):
        return tag
    try:
        after = pagination.decode_cursor(before) if before else None
    except ValueError:
        after = None
    if not isinstance(after, pagination.Position):
        after = None  # a damaged link starts again from the newest posts
    assert tag.id is not None
    window = feeds.tagged(engine=engine_of(session), tag_id=tag.id, viewer=viewer, after=after)
    pager = pagination.keyset(window, f"/t/{tag.name}", param="before", first=after is None)
    return _tag_page(request, session, viewer, tag, "latest", window.items, pager)


@router.get("/t/{name}/top")
async def tag_top_page(
    request: Request, session: SessionDep, viewer: OptionalUser, name: TagName, page: PageNo = 1
) -> Response:
    def render() -> Awaitable[Response]:
        return run_in_threadpool(_top, request, session, viewer, name, page)

    if shared.shareable(request, viewer):
        return await shared.answer(request, render, window=top_window)
    return await render()


def _top(
    request: Request, session: SessionDep, viewer: Viewer | None, name: str, page: int
) -> Response:
    tag = _load(request, session, name)
    if isinstance(tag, Response):
        return tag
    assert tag.id is not None
    listing = feeds.tag_top(engine=engine_of(session), tag_id=tag.id, page=page, viewer=viewer)
    pager = pagination.numbered(listing, f"/t/{tag.name}/top", by_time=False)
    return _tag_page(request, session, viewer, tag, "top", listing.items, pager)


def _back(request: Request, tag: Tag, message: str) -> Response:
    response = RedirectResponse(f"/t/{tag.name}", status_code=303)
    flash(response, request, message)
    return response


@router.post("/t/{name}/follow")
def follow_tag(request: Request, session: SessionDep, user: CurrentUser, name: TagName) -> Response:
    tag = _load(request, session, name)
    assert isinstance(tag, Tag)
    if tags.is_following(session=session, user=user, tag=tag):
        tags.unfollow(session=session, user=user, tag=tag)
        return _back(request, tag, f"You no longer follow {tag.name}.")
    tags.follow(session=session, user=user, tag=tag)
    return _back(request, tag, f"You follow {tag.name} now: its posts join your Following feed.")


@router.post("/t/{name}/filter")
def filter_tag(request: Request, session: SessionDep, user: CurrentUser, name: TagName) -> Response:
    tag = _load(request, session, name)
    assert isinstance(tag, Tag)
    if tags.is_filtered(session=session, user=user, tag=tag):
        tags.remove_filter(session=session, user=user, tag=tag)
        return _back(request, tag, f"Posts tagged {tag.name} show in your feeds again.")
    tags.add_filter(session=session, user=user, tag=tag)
    return _back(
        request, tag, f"Filtered: posts tagged {tag.name} are gone from your feeds and searches."
    )


def _moderation_failed(
    request: Request, session: SessionDep, user: ModeratorUser, tag: Tag, exc: ValidationFailed
) -> Response:
    session.rollback()
    session.refresh(tag)
    assert tag.id is not None
    window = feeds.tagged(engine=engine_of(session), tag_id=tag.id, viewer=user)
    pager = pagination.keyset(window, f"/t/{tag.name}", param="before", first=True)
    return _tag_page(request, session, user, tag, "latest", window.items, pager, exc.errors)


@router.post("/t/{name}/describe")
def describe_tag(
    request: Request,
    session: SessionDep,
    user: ModeratorUser,
    name: TagName,
    description: FormStr = "",
) -> Response:
    tag = _load(request, session, name)
    assert isinstance(tag, Tag)
    try:
        tags.describe(session=session, tag=tag, actor=user, description=description)
    except ValidationFailed as exc:
        return _moderation_failed(request, session, user, tag, exc)
    return _back(request, tag, "The description is saved.")


@router.post("/t/{name}/rename")
def rename_tag(
    request: Request,
    session: SessionDep,
    user: ModeratorUser,
    name: TagName,
    new_name: FormStr = "",
) -> Response:
    tag = _load(request, session, name)
    assert isinstance(tag, Tag)
    old = tag.name
    try:
        tags.rename(session=session, tag=tag, actor=user, name=new_name)
    except ValidationFailed as exc:
        return _moderation_failed(request, session, user, tag, exc)
    return _back(request, tag, f"Renamed: {old} is now {tag.name}, and its old address leads here.")


@router.post("/t/{name}/merge")
def merge_tag(
    request: Request, session: SessionDep, user: ModeratorUser, name: TagName, into: FormStr = ""
) -> Response:
    tag = _load(request, session, name)
    assert isinstance(tag, Tag)
    old = tag.name
    try:
        target = tags.merge(session=session, tag=tag, actor=user, into=into)
    except ValidationFailed as exc:
        return _moderation_failed(request, session, user, tag, exc)
    return _back(request, target, f"Merged: the posts tagged {old} carry {target.name} now.")
