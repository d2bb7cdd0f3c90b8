"""Your bookmarks, and what you filtered out or dismissed (on the account page)."""

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app import pagination
from app.db import engine_of
from app.deps import CurrentUser, FormStr, PageNo, PostId, SessionDep
from app.models import Tag
from app.services import ValidationFailed, bookmarks, dismissals, tags
from app.templating import flash, render
from app.web import PageRouter

router = PageRouter()


@router.get("/bookmarks")
def bookmark_list(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    before: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    try:
        after = pagination.decode_cursor(before) if before else None
    except ValueError:
        after = None
    if not isinstance(after, pagination.Position):
        after = None  # a damaged link starts again from the newest bookmark
    window = bookmarks.listing(engine=engine_of(session), user=user, after=after)
    pager = pagination.keyset(window, "/bookmarks", param="before", first=after is None)
    return render(request, "bookmarks/index.html", {"items": window.items, "pager": pager})


def _filters_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    dismissed = dismissals.listing(session=session, user=user, page=page)
    return render(
        request,
        "account/filters.html",
        {
            "filtered": tags.filtered(session=session, user=user),
            "dismissed": dismissed,
            "pager": pagination.numbered(dismissed, "/account/filters"),
            "form": form or {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/account/filters")
def filters_page(
    request: Request, session: SessionDep, user: CurrentUser, page: PageNo = 1
) -> Response:
    return _filters_page(request, session, user, page)


def _back(request: Request, message: str) -> Response:
    response = RedirectResponse("/account/filters", status_code=303)
    flash(response, request, message)
    return response


@router.post("/account/filters")
def add_tag_filter(
    request: Request, session: SessionDep, user: CurrentUser, tag: FormStr = ""
) -> Response:
    try:
        name = tags.filter_by_name(session=session, user=user, name=tag)
    except ValidationFailed as exc:
        return _filters_page(request, session, user, 1, {"tag": tag}, exc.errors)
    return _back(request, f"Filtered: posts tagged {name} are gone from your feeds and searches.")


@router.post("/account/filters/{name}/delete")
def remove_tag_filter(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Path(max_length=64)],
) -> Response:
    tag_id = tags.id_of(session=session, name=name)
    tag = session.get(Tag, tag_id) if tag_id is not None else None
    if tag is not None:
        tags.remove_filter(session=session, user=user, tag=tag)
    return _back(request, f"Posts tagged {name} show in your feeds again.")


@router.post("/account/dismissed/{post_id}/delete")
def undo_dismissal(
    request: Request, session: SessionDep, user: CurrentUser, post_id: PostId
) -> Response:
    dismissals.undo(session=session, user=user, post_id=post_id)
    return _back(request, "It is back in your feeds.")
