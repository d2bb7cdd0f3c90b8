"""Comments on the pages: write, reply, edit, delete, remove (moderators), vote, permalinks."""

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.responses import Response

from app import pagination, rendering
from app.db import engine_of
from app.deps import (
    CommentId,
    CurrentUser,
    FormStr,
    ModeratorUser,
    OptionalUser,
    OwnComment,
    PageNo,
    RemovableComment,
    SessionDep,
    VisibleComment,
    VisiblePost,
    VotableComment,
)
from app.models import MAX_ID, Comment, Post, User
from app.services import (
    Conflict,
    NotFound,
    ValidationFailed,
    comments,
    mentions,
    permalinks,
    posts,
    threads,
    votes,
)
from app.templating import flash, render
from app.web import PageRouter, safe_next

router = PageRouter()


def where(request: Request, comment: Comment) -> str:
    """The URL that shows `comment`, at its anchor: its post's page holding its thread, or,
    deep in a long thread, the page of its parent's subthread that holds it."""
    place = permalinks.position(engine=request.app.state.engine, comment=comment)
    query = f"?page={place.page}" if place.page > 1 else ""
    if place.parent_id is not None:
        return f"/comments/{place.parent_id}/thread{query}#comment-{comment.id}"
    return f"/posts/{comment.post_id}{query}#comment-{comment.id}"


def _parent_id(text: str) -> int | None:
    """The form's `parent_id`: empty for a comment on the post, else a comment's id."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise ValidationFailed({"parent_id": "That is not a comment you can reply to."})
    return int(text)


def _form_page(
    request: Request,
    session: Session,
    post: Post,
    parent: Comment | None,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The comment form on a page of its own: a reply under the comment it answers, or a
    comment on the post whose first try was refused (input kept, the error beside it)."""
    if parent is not None and not comments.stands(session, parent):
        parent = None  # deleted, or its author unavailable: its words and name are not shown
    context: dict[str, Any] = {"post": post, "parent": parent, "form": form, "errors": errors}
    if parent is not None:
        author = session.get(User, parent.author_id) if parent.author_id is not None else None
        context["parent_author"] = author.username if author is not None else None
        assert parent.id is not None
        mentioned = mentions.linked(
            engine_of(session), post_id=parent.post_id, comment_ids=[parent.id]
        )
        context["parent_html"] = rendering.render_comment(
            parent.id, parent.updated_at, parent.content, mentioned.get(parent.id, ())
        )
    return render(request, "comments/form.html", context, status_code=status_code)


@router.post("/posts/{post_id}/comments")
def create_comment(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post: VisiblePost,
    content: FormStr = "",
    parent_id: FormStr = "",
) -> Response:
    form = {"content": content, "parent_id": parent_id}
    parent = None
    try:
        wanted = _parent_id(parent_id)
        parent = session.get(Comment, wanted) if wanted is not None else None
        if parent is not None and parent.post_id != post.id:
            parent = None
        comment = comments.create(
            session=session, author=user, post=post, content=content, parent_id=wanted
        )
    except ValidationFailed as exc:
        return _form_page(request, session, post, parent, form, exc.errors, status_code=422)
    except Conflict as exc:
        return _form_page(
            request, session, post, parent, form, {"content": exc.message}, status_code=409
        )
    response = RedirectResponse(where(request, comment), status_code=303)
    flash(response, request, "Your reply is posted." if wanted else "Your comment is posted.")
    return response


@router.get("/posts/{post_id}/comments/{comment_id}/reply")
def reply_form(
    request: Request, session: SessionDep, post: VisiblePost, comment_id: CommentId
) -> Response:
    parent = session.get(Comment, comment_id)
    if parent is None or parent.post_id != post.id or not comments.stands(session, parent):
        return _form_page(
            request,
            session,
            post,
            None,
            {"content": ""},
            {"parent_id": "That comment is gone; you can still comment on the post."},
            status_code=404,
        )
    return _form_page(
        request, session, post, parent, {"content": "", "parent_id": str(parent.id)}, {}
    )


@router.get("/comments/{comment_id}")
def permalink(request: Request, comment: VisibleComment) -> Response:
    """Wherever a comment is now: the page of its post that shows it, at its anchor."""
    return RedirectResponse(where(request, comment), status_code=303)


@router.get("/comments/{comment_id}/thread")
def subthread(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    comment: VisibleComment,
    page: PageNo = 1,
) -> Response:
    """A comment and its replies, paged like a post's threads: where a page that could not
    hold a whole thread continues it."""
    post = session.get(Post, comment.post_id)
    if post is None or not posts.is_public(post):
        raise NotFound(comments.NOT_FOUND)
    engine = request.app.state.engine
    view = threads.subthread(engine=engine, comment=comment, viewer=user, page=page)
    mentioned = mentions.linked(
        engine, post_id=comment.post_id, comment_ids=threads.mentioning(view.items)
    )
    pager = pagination.numbered(view, f"/comments/{comment.id}/thread", by_time=False)
    return render(
        request,
        "comments/thread.html",
        {
            "post": post,
            "focus": comment,
            "thread": view,
            "comment_html": threads.html(view.items, mentioned),
            "comment_pager": pager,
        },
    )


@router.get("/comments/{comment_id}/edit")
def edit_comment_form(request: Request, comment: OwnComment) -> Response:
    return render(
        request,
        "comments/edit.html",
        {"comment": comment, "form": {"content": comment.content}, "errors": {}},
    )


@router.post("/comments/{comment_id}/edit")
def edit_comment(
    request: Request, session: SessionDep, comment: OwnComment, content: FormStr = ""
) -> Response:
    try:
        comments.edit(session=session, comment=comment, content=content)
    except ValidationFailed as exc:
        session.refresh(comment)
        return render(
            request,
            "comments/edit.html",
            {"comment": comment, "form": {"content": content}, "errors": exc.errors},
            status_code=422,
        )
    response = RedirectResponse(where(request, comment), status_code=303)
    flash(response, request, "Your comment is changed.")
    return response


@router.get("/comments/{comment_id}/delete")
def delete_comment_confirm(request: Request, comment: OwnComment) -> Response:
    return render(request, "comments/delete.html", {"comment": comment})


@router.post("/comments/{comment_id}/delete")
def delete_comment(request: Request, session: SessionDep, comment: OwnComment) -> Response:
    post_id = comment.post_id
    comments.delete_own(session=session, comment=comment)
    response = RedirectResponse(f"/posts/{post_id}#comments", status_code=303)
    flash(response, request, "Your comment is deleted.")
    return response


@router.get("/comments/{comment_id}/remove")
def remove_comment_confirm(
    request: Request, moderator: ModeratorUser, comment: RemovableComment
) -> Response:
    return render(request, "comments/remove.html", {"comment": comment, "form": {}, "errors": {}})


@router.post("/comments/{comment_id}/remove")
def remove_comment(
    request: Request,
    session: SessionDep,
    moderator: ModeratorUser,
    comment: RemovableComment,
    reason: FormStr = "",
) -> Response:
    try:
        comments.remove(session=session, comment=comment, actor=moderator, reason=reason)
    except ValidationFailed as exc:
        return render(
            request,
            "comments/remove.html",
            {"comment": comment, "form": {"reason": reason}, "errors": exc.errors},
            status_code=422,
        )
    response = RedirectResponse(where(request, comment), status_code=303)
    flash(response, request, "The comment is removed; its author sees your reason.")
    return response


@router.post("/comments/{comment_id}/vote")
def vote_comment(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    comment: VotableComment,
    next: FormStr = "",
) -> Response:
    voted = votes.toggle_for_comment(session=session, comment=comment, user=user)
    response = RedirectResponse(safe_next(next, where(request, comment)), status_code=303)
    flash(response, request, "Thanks for your vote." if voted else "Your vote is withdrawn.")
    return response
