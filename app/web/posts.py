"""The feeds and everything done to a post: write, preview, read, edit, delete, vote."""

import time
from collections.abc import Awaitable
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app import pagination, rendering
from app.db import run_db
from app.deps import (
    CurrentUser,
    FormStr,
    OptionalUser,
    OwnPost,
    PageNo,
    PostId,
    RemovablePost,
    SessionDep,
    SettingsDep,
    VisiblePost,
    VotablePost,
)
from app.models import Post, Viewer
from app.services import (
    ValidationFailed,
    bookmarks,
    dismissals,
    feeds,
    mentions,
    posts,
    sidebar,
    tags,
    threads,
    votes,
)
from app.templating import flash, render
from app.web import PageRouter, safe_next, shared, voting

router = PageRouter()


async def _side(engine: Any) -> sidebar.Side:
    """The feed's side column: kept, inline; counted again (a rare, dearer read) in a thread."""
    kept = sidebar.kept(engine=engine)
    if kept is not None:
        return kept
    return await run_in_threadpool(sidebar.side, engine=engine)


# The read-only pages are `async def` and read through run_db: no worker-thread hop per view.
@router.get("/")
async def feed(request: Request, user: OptionalUser, page: PageNo = 1) -> Response:
    if shared.shareable(request, user, members=True):  # every visitor sees the same page
        render = partial(_latest, request, user, page)
        return await shared.answer(request, render, side=True, members=True)
    return await _latest(request, user, page)


async def _latest(request: Request, user: Viewer | None, page: int) -> Response:
    engine = request.app.state.engine  # a plain read: no ORM session is opened
    listing = await run_db(engine, feeds.feed, engine=engine, page=page, viewer=user)
    pager = pagination.numbered(listing, "/")
    votes_here = await run_db(engine, voting, request, user, listing.items)
    context = {"items": listing.items, "pager": pager, "tab": "latest", "voting": votes_here}
    context["side"] = await _side(engine)
    return render(request, "posts/feed.html", context)


# Top sorts a week of posts, too long to hold the event loop: in the thread pool
# (docs/performance.md).
TOP_REFRESH_MINUTES = 5


@router.get("/top")
async def top_feed(request: Request, user: OptionalUser, page: PageNo = 1) -> Response:
    def top() -> Awaitable[Response]:
        return run_in_threadpool(_top, request, user, page)

    if shared.shareable(request, user, members=True):
        return await shared.answer(request, top, window=top_window, side=True, members=True)
    return await top()


def top_window(engine: object) -> int:
    """Top's week slides on: shared Top pages (the site's, a tag's) start again every
    TOP_REFRESH_MINUTES."""
    return int(time.time() // (TOP_REFRESH_MINUTES * 60))


def _top(request: Request, user: Viewer | None, page: int) -> Response:
    listing = feeds.top(engine=request.app.state.engine, page=page, viewer=user)
    pager = pagination.numbered(listing, "/top", by_time=False)
    votes_here = voting(request, user, listing.items)
    context = {"items": listing.items, "pager": pager, "tab": "top", "voting": votes_here}
    context["side"] = sidebar.side(engine=request.app.state.engine)
    return render(request, "posts/feed.html", context)


@router.get("/following")
async def following_feed(
    request: Request,
    user: CurrentUser,
    before: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    try:
        after = pagination.decode_cursor(before) if before else None
    except ValueError:
        after = None
    if not isinstance(after, pagination.Position):
        after = None  # a damaged link starts again from the newest posts
    engine = request.app.state.engine
    window = await run_db(engine, feeds.following, engine=engine, user=user, after=after)
    pager = pagination.keyset(window, "/following", param="before", first=after is None)
    votes_here = await run_db(engine, voting, request, user, window.items)
    context = {"items": window.items, "pager": pager, "tab": "following", "voting": votes_here}
    context["side"] = await _side(engine)
    return render(request, "posts/feed.html", context)


def _editor(
    request: Request,
    session: SessionDep,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    """The editor page, with the tags to choose from (the browser suggests them as you type)."""
    choices = tags.suggestions(session=session)
    return render(request, "posts/edit.html", {**context, "tag_choices": choices}, status_code)


@router.get("/posts/new")
def new_post_form(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _editor(request, session, {"form": {"published": True}, "errors": {}, "post": None})


@router.post("/posts")
def create_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    title: FormStr = "",
    content: FormStr = "",
    published: FormStr = "",
    preview: FormStr = "",
    tag_names: Annotated[str, Form(alias="tags", max_length=1_000)] = "",
) -> Response:
    form = {"title": title, "content": content, "published": bool(published), "tags": tag_names}
    if preview:
        return _preview(request, session, None, form)
    try:
        post = posts.create(
            session=session,
            owner=user,
            title=title,
            content=content,
            published=bool(published),
            tags=tag_names,
            tag_creation=settings.tag_creation,
        )
    except ValidationFailed as exc:
        session.rollback()
        return _editor(request, session, {"form": form, "errors": exc.errors, "post": None}, 422)
    response = RedirectResponse(f"/posts/{post.id}", status_code=303)
    flash(
        response,
        request,
        "Your post is published."
        if post.published
        else "Your draft is saved. Only you can see it.",
    )
    return response


def _preview(
    request: Request, session: SessionDep, post: Post | None, form: dict[str, Any]
) -> Response:
    """The editor again, input kept, with the content rendered as it would be published."""
    errors = posts.check(title=form["title"], content=form["content"], tags=form["tags"])
    preview = None if "content" in errors else rendering.render(form["content"])
    return _editor(
        request,
        session,
        {"form": form, "errors": errors, "post": post, "preview": preview},
        422 if "content" in errors else 200,
    )


CommentSort = Annotated[Literal["oldest", "best"], Query(description="Comment order.")]


@router.get("/posts/{post_id}")
async def show_post(
    request: Request,
    user: OptionalUser,
    post_id: PostId,
    page: PageNo = 1,
    sort: CommentSort = "oldest",
) -> Response:
    if shared.shareable(request, user, members=True):
        render = partial(_post, request, user, post_id, page, sort)
        return await shared.answer(request, render, members=True)
    return await _post(request, user, post_id, page, sort)


async def _post(
    request: Request, user: Viewer | None, post_id: int, page: int, sort: str
) -> Response:
    engine = request.app.state.engine  # a plain read: no ORM session is opened
    post = await run_db(engine, posts.get_page, engine=engine, post_id=post_id, viewer=user)
    if not posts.is_public(post):
        shared.mine(request)  # its author's alone: never kept for other members
    thread = await run_db(
        engine, threads.page, engine=engine, post_id=post.id, viewer=user, page=page, sort=sort
    )
    # Whom the post and its comments mention, under their current names: one read, and only
    # when some text has an "@".
    mentioned = await run_db(
        engine,
        mentions.linked,
        engine,
        post_id=post.id,
        comment_ids=threads.mentioning(thread.items),
        post="@" in post.content,
    )
    html = rendering.cached_post_html(post.id, post.updated_at, mentioned.get(None, ()))
    if html is None:
        # A long post can take a while to render: not on the event loop. Once per revision.
        html = await run_in_threadpool(
            rendering.render_post, post.id, post.updated_at, post.content, mentioned.get(None, ())
        )
    # Comments render once per revision, but a new page of them may be long: off the loop
    # (and a page whose comments are all rendered already skips the thread hop, a third of
    # a short post page's time).
    comment_html = threads.cached_html(thread.items, mentioned)
    if comment_html is None:
        comment_html = await run_in_threadpool(threads.html, thread.items, mentioned)
    params = {"sort": sort if sort != "oldest" else ""}
    pager = pagination.numbered(thread, f"/posts/{post.id}", params, by_time=False)
    return render(
        request,
        "posts/show.html",
        {
            "post": post,
            "content_html": html,
            "thread": thread,
            "comment_html": comment_html,
            "comment_pager": pager,
            "sort": sort,
            "comment_form": {"content": ""},
        },
    )


@router.get("/posts/{post_id}/edit")
def edit_post_form(request: Request, session: SessionDep, post: OwnPost) -> Response:
    form = {
        "title": post.title,
        "content": post.content,
        "published": post.published,
        "tags": " ".join(tags.names_of(post.id, session)),
    }
    return _editor(request, session, {"form": form, "errors": {}, "post": post})


@router.post("/posts/{post_id}/edit")
def edit_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    post: OwnPost,
    title: FormStr = "",
    content: FormStr = "",
    published: FormStr = "",
    preview: FormStr = "",
    tag_names: Annotated[str, Form(alias="tags", max_length=1_000)] = "",
) -> Response:
    form = {"title": title, "content": content, "published": bool(published), "tags": tag_names}
    if preview:
        return _preview(request, session, post, form)
    was_public = post.published
    try:
        posts.edit(
            session=session,
            post=post,
            title=title,
            content=content,
            published=bool(published),
            tags=tag_names,
            tag_creation=settings.tag_creation,
        )
    except ValidationFailed as exc:
        session.rollback()
        session.refresh(post)
        return _editor(request, session, {"form": form, "errors": exc.errors, "post": post}, 422)
    response = RedirectResponse(f"/posts/{post.id}", status_code=303)
    if was_public and not post.published:
        flash(
            response, request, "Your changes are saved. The post is now a draft: only you see it."
        )
    elif post.published and not was_public:
        flash(response, request, "Your changes are saved, and the post is published.")
    else:
        flash(response, request, "Your changes are saved.")
    return response


@router.get("/posts/{post_id}/delete")
def delete_post_confirm(request: Request, post: RemovablePost) -> Response:
    return render(request, "posts/delete.html", {"post": post})


@router.post("/posts/{post_id}/delete")
def delete_post(
    request: Request, session: SessionDep, user: CurrentUser, post: RemovablePost
) -> Response:
    own = post.owner_id == user.id
    posts.remove(session=session, post=post, actor=user)
    response = RedirectResponse("/", status_code=303)
    flash(response, request, "Your post is deleted." if own else "The post is deleted.")
    return response


@router.post("/posts/{post_id}/vote")
def vote(
    request: Request, session: SessionDep, user: CurrentUser, post: VotablePost, next: FormStr = ""
) -> Response:
    voted = votes.toggle(session=session, post=post, user=user)
    message = "Thanks for your vote." if voted else "Your vote is withdrawn."
    if "application/json" in request.headers.get("accept", ""):
        # The page's script votes without a reload (static/js/agora.js): it shows the new state.
        assert post.id is not None
        count = votes.count(session=session, post_id=post.id)
        return JSONResponse({"voted": voted, "votes": count, "message": message})
    response = RedirectResponse(safe_next(next, f"/posts/{post.id}"), status_code=303)
    flash(response, request, message)
    return response


@router.post("/posts/{post_id}/bookmark")
def bookmark(
    request: Request, session: SessionDep, user: CurrentUser, post: VisiblePost, next: FormStr = ""
) -> Response:
    saved = bookmarks.toggle(session=session, user=user, post=post)
    response = RedirectResponse(safe_next(next, f"/posts/{post.id}"), status_code=303)
    flash(
        response,
        request,
        "Bookmarked: find it under Bookmarks." if saved else "Bookmark removed.",
    )
    return response


@router.post("/posts/{post_id}/dismiss")
def dismiss(
    request: Request, session: SessionDep, user: CurrentUser, post: VisiblePost, next: FormStr = ""
) -> Response:
    gone = dismissals.toggle(session=session, user=user, post=post)
    response = RedirectResponse(safe_next(next, f"/posts/{post.id}"), status_code=303)
    flash(
        response,
        request,
        "Dismissed: it stays out of your feeds. Undo it here or on your account page."
        if gone
        else "It is back in your feeds.",
    )
    return response
