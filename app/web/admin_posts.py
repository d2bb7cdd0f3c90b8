"""The admin posts pages, open to moderators: find posts, hide, restore or delete them."""

from typing import Annotated, Any, Literal

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import Field
from starlette.responses import Response

from app.deps import ModeratorUser, PageNo, PostId, SessionDep, get_moderator
from app.models import MAX_ID, REASON_MAX, status_of
from app.services import Conflict, ValidationFailed, admin, admin_lists, posts
from app.services.admin_lists import PostFilter
from app.templating import flash, render
from app.web import PageRouter, safe_next
from app.web.admin import Search, list_pager, query_string
from app.web.downloads import csv_download, dated

# The form token is checked first, as on every other router, then the role.
router = PageRouter(prefix="/admin", dependencies=[Depends(get_moderator)])

MAX_BULK = 200
PostIds = list[Annotated[int, Field(ge=1, le=MAX_ID)]]
Action = Literal["hide", "delete"]


def post_filter(
    q: Search = "",
    status: Literal["", "published", "hidden"] = "",
    author: Annotated[str, Query(max_length=100)] = "",
    sort: Literal["title", "author", "status", "votes", "created"] = "created",
    dir: Literal["asc", "desc"] = "desc",
) -> PostFilter:
    return PostFilter(q=q, status=status, author=author, sort=sort, dir=dir)


PostFilterDep = Annotated[PostFilter, Depends(post_filter)]


@router.get("/posts")
def admin_posts(
    request: Request,
    session: SessionDep,
    user: ModeratorUser,
    filters: PostFilterDep,
    page: PageNo = 1,
) -> Response:
    listing = admin_lists.posts_page(session=session, filters=filters, page=page)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(
        request,
        "admin/posts.html",
        {
            "page": listing,
            "pager": list_pager(request, listing, filters),
            "filters": filters,
            "qs": query_string,
            "here": here,
            "post_actions": admin.POST_ACTIONS,
        },
    )


@router.get("/posts.csv")
def admin_posts_csv(session: SessionDep, user: ModeratorUser, filters: PostFilterDep) -> Response:
    rows = admin_lists.posts_all(session=session, filters=filters)
    return csv_download(
        dated("agora-posts", "csv"),
        ["id", "title", "author", "status", "votes", "created"],
        (
            (
                p.id,
                p.title,
                p.author,
                status_of(p),
                p.vote_count,
                p.created_at,
            )
            for p in rows
        ),
    )


@router.get("/posts/confirm")
def admin_posts_confirm(
    request: Request,
    session: SessionDep,
    user: ModeratorUser,
    action: Action,
    ids: Annotated[PostIds, Query(max_length=MAX_BULK)] = [],  # noqa: B006 (FastAPI copies it)
    next: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    back = safe_next(next, "/admin/posts")
    found = admin_lists.posts_by_id(session=session, post_ids=ids)
    if not found:
        response = RedirectResponse(back, status_code=303)
        flash(response, request, "Tick at least one post first.", category="error")
        return response
    return _confirm_page(request, action, found, back)


def _confirm_page(
    request: Request,
    action: str,
    found: list[Any],
    back: str,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/posts_confirm.html",
        {
            "action": action,
            "label": admin.POST_ACTIONS[action],
            "posts": found,
            "votes": sum(p.vote_count for p in found),
            "back": back,
            "errors": errors or {},
            "reason": reason,
        },
        status_code=status_code,
    )


@router.post("/posts/apply")
def admin_posts_apply(
    request: Request,
    session: SessionDep,
    user: ModeratorUser,
    action: Annotated[Action, Form()],
    ids: Annotated[PostIds, Form(max_length=MAX_BULK)],
    next: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=REASON_MAX * 2)] = "",
) -> Response:
    back = safe_next(next, "/admin/posts")
    try:
        changed = admin.moderate_posts(
            session=session, actor=user, post_ids=ids, action=action, reason=reason
        )
    except ValidationFailed as exc:
        found = admin_lists.posts_by_id(session=session, post_ids=ids)
        return _confirm_page(request, action, found, back, exc.errors, reason, status_code=422)
    done = "deleted" if action == "delete" else "hidden"
    response = RedirectResponse(back, status_code=303)
    flash(response, request, f"{changed} post{'' if changed == 1 else 's'} {done}.")
    return response


@router.post("/posts/{post_id}/restore")
def admin_post_restore(
    request: Request,
    session: SessionDep,
    user: ModeratorUser,
    post_id: PostId,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Publish a hidden post again (audited); drafts and public posts answer 404 and 409."""
    post = posts.get_moderated(session=session, post_id=post_id, user=user)
    if not posts.restore(session=session, post=post, actor=user):
        raise Conflict("That post is not hidden, so there is nothing to restore.")
    response = RedirectResponse(safe_next(next, "/admin/posts"), status_code=303)
    flash(response, request, "The post is restored and public again.")
    return response
