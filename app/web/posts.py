"""The feeds and everything done to a post: write, preview, read, edit, delete, vote."""

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app import rendering
from app.db import run_db
from app.deps import (
    CurrentUser,
    OptionalUser,
    OwnPost,
    PostId,
    RemovablePost,
    SessionDep,
    VotablePost,
)
from app.models import Post
from app.services import ValidationFailed, posts
from app.templating import flash, render
from app.web import PageRouter, safe_next

router = PageRouter()

FormStr = Annotated[str, Form(max_length=100_000)]
PageNo = Annotated[int, Query(ge=1, le=posts.MAX_PAGE)]


# The read-only pages are `async def` and read through run_db: no worker-thread hop per view.
@router.get("/")
async def feed(request: Request, user: OptionalUser, page: PageNo = 1) -> Response:
    engine = request.app.state.engine  # a plain read: no ORM session is opened
    listing = await run_db(engine, posts.feed, engine=engine, page=page)
    return render(request, "posts/feed.html", {"page": listing, "tab": "latest"})


# A plain `def`: Top sorts a week of posts (a few ms at 1M posts), too long to hold the event
# loop, so it runs in the thread pool.
@router.get("/top")
def top_feed(
    request: Request, session: SessionDep, user: OptionalUser, page: PageNo = 1
) -> Response:
    listing = posts.top(session=session, page=page)
    return render(request, "posts/feed.html", {"page": listing, "tab": "top"})


@router.get("/following")
async def following_feed(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    before: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    try:
        after = posts.decode_position(before) if before else None
    except ValueError:
        after = None
    if not isinstance(after, posts.Position):
        after = None  # a damaged link starts again from the newest posts
    window = await run_db(
        session.get_bind(), posts.following, session=session, user=user, after=after
    )
    older = posts.encode_position(window.next) if window.next is not None else None
    return render(
        request,
        "posts/feed.html",
        {
            "page": None,
            "items": window.items,
            "older": older,
            "tab": "following",
            "first": not after,
        },
    )


@router.get("/posts/new")
def new_post_form(request: Request, user: CurrentUser) -> Response:
    return render(
        request, "posts/edit.html", {"form": {"published": True}, "errors": {}, "post": None}
    )


@router.post("/posts")
def create_post(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    title: FormStr = "",
    content: FormStr = "",
    published: FormStr = "",
    preview: FormStr = "",
) -> Response:
    if preview:
        return _preview(request, None, title, content, published)
    try:
        post = posts.create(
            session=session, owner=user, title=title, content=content, published=bool(published)
        )
    except ValidationFailed as exc:
        form = {"title": title, "content": content, "published": bool(published)}
        return render(
            request,
            "posts/edit.html",
            {"form": form, "errors": exc.errors, "post": None},
            status_code=422,
        )
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
    request: Request, post: Post | None, title: str, content: str, published: str
) -> Response:
    """The editor again, input kept, with the content rendered as it would be published."""
    form = {"title": title, "content": content, "published": bool(published)}
    errors = posts.check(title=title, content=content)
    preview = None if "content" in errors else rendering.render(content)
    return render(
        request,
        "posts/edit.html",
        {"form": form, "errors": errors, "post": post, "preview": preview},
        status_code=422 if "content" in errors else 200,
    )


@router.get("/posts/{post_id}")
async def show_post(request: Request, user: OptionalUser, post_id: PostId) -> Response:
    engine = request.app.state.engine  # a plain read: no ORM session is opened
    post = await run_db(engine, posts.get_page, engine=engine, post_id=post_id, viewer=user)
    html = rendering.cached_post_html(post.id, post.updated_at)
    if html is None:
        # A long post can take a while to render: not on the event loop. Once per revision.
        html = await run_in_threadpool(
            rendering.render_post, post.id, post.updated_at, post.content
        )
    return render(
        request,
        "posts/show.html",
        {"post": post, "content_html": html},
    )


@router.get("/posts/{post_id}/edit")
def edit_post_form(request: Request, post: OwnPost) -> Response:
    form = {"title": post.title, "content": post.content, "published": post.published}
    return render(request, "posts/edit.html", {"form": form, "errors": {}, "post": post})


@router.post("/posts/{post_id}/edit")
def edit_post(
    request: Request,
    session: SessionDep,
    post: OwnPost,
    title: FormStr = "",
    content: FormStr = "",
    published: FormStr = "",
    preview: FormStr = "",
) -> Response:
    if preview:
        return _preview(request, post, title, content, published)
    try:
        posts.edit(
            session=session, post=post, title=title, content=content, published=bool(published)
        )
    except ValidationFailed as exc:
        session.refresh(post)
        form = {"title": title, "content": content, "published": bool(published)}
        return render(
            request,
            "posts/edit.html",
            {"form": form, "errors": exc.errors, "post": post},
            status_code=422,
        )
    response = RedirectResponse(f"/posts/{post.id}", status_code=303)
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
    voted = posts.toggle_vote(session=session, post=post, user=user)
    response = RedirectResponse(safe_next(next, f"/posts/{post.id}"), status_code=303)
    flash(response, request, "Thanks for your vote." if voted else "Your vote is withdrawn.")
    return response
