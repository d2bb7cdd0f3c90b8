"""Reports as pages: a member reports an item, moderators work the queue, everyone reads the
public moderation log."""

from typing import Annotated, Literal

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import Field
from starlette.responses import Response

from app import pagination
from app.deps import CurrentUser, ModeratorUser, PageNo, ReportId, SessionDep, get_moderator
from app.models import MAX_ID, MODERATION_ACTIONS, REASON_MAX, REPORT_NOTE_MAX, REPORT_REASONS
from app.services import NotFound, ValidationFailed, admin, modlog, reports
from app.templating import flash, render
from app.web import PageRouter, safe_next

router = PageRouter()
# The form token is checked first, as on every other router, then the role.
queue_router = PageRouter(prefix="/admin", dependencies=[Depends(get_moderator)])

ItemType = Literal["post", "comment", "user"]
ItemId = Annotated[int, Field(ge=1, le=MAX_ID)]
WHAT = {"post": "post", "comment": "comment", "user": "profile"}


def _form(
    request: Request,
    item_type: str,
    item_id: int,
    back: str,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "reports/new.html",
        {
            "item_type": item_type,
            "item_id": item_id,
            "what": WHAT[item_type],
            "reasons": REPORT_REASONS,
            "back": back,
            "form": form or {},
            "errors": errors or {},
            "note_max": REPORT_NOTE_MAX,
        },
        status_code=status_code,
    )


@router.get("/report")
def report_form(
    request: Request,
    user: CurrentUser,
    type: Annotated[ItemType | None, Query()] = None,
    id: Annotated[ItemId | None, Query()] = None,
    next: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    if type is None or id is None:
        raise NotFound("Open the report form from the item you want to report.")
    return _form(request, type, id, safe_next(next, "/"))


@router.post("/report")
def report_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    item_type: Annotated[ItemType, Form()],
    item_id: Annotated[ItemId, Form()],
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=REPORT_NOTE_MAX * 2)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    back = safe_next(next, "/")
    try:
        reports.file(
            session=session,
            settings=request.app.state.settings,
            reporter=user,
            item_type=item_type,
            item_id=item_id,
            reason=reason,
            note=note,
        )
    except ValidationFailed as exc:
        form = {"reason": reason, "note": note}
        return _form(request, item_type, item_id, back, form, exc.errors, status_code=422)
    response = RedirectResponse(back, status_code=303)
    flash(response, request, "Thank you: a moderator will look at your report.")
    return response


@router.get("/moderation")
def moderation_log(request: Request, session: SessionDep, page: PageNo = 1) -> Response:
    listing = modlog.page(session=session, page=page)
    pager = pagination.numbered(listing, "/moderation")
    context = {"page": listing, "pager": pager, "actions": MODERATION_ACTIONS}
    return render(request, "reports/log.html", context)


@queue_router.get("/reports")
def admin_reports(
    request: Request, session: SessionDep, user: ModeratorUser, page: PageNo = 1
) -> Response:
    return _queue(request, session, page)


def _queue(
    request: Request,
    session: SessionDep,
    page: int,
    errors: dict[int, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    listing = reports.queue_page(session=session, page=page)
    pager = pagination.numbered(listing, "/admin/reports", by_time=False)
    context = {
        "page": listing,
        "pager": pager,
        "reasons": REPORT_REASONS,
        "errors": errors or {},
        "reason": reason,
        "durations": admin.DURATIONS,
    }
    return render(request, "admin/reports.html", context, status_code=status_code)


@queue_router.post("/reports/{report_id}/resolve")
def admin_report_resolve(
    request: Request,
    session: SessionDep,
    user: ModeratorUser,
    report_id: ReportId,
    action: Annotated[Literal["dismiss", "hide", "remove", "delete", "warn", "suspend"], Form()],
    reason: Annotated[str, Form(max_length=REASON_MAX * 2)] = "",
    duration: Annotated[str, Form(max_length=20)] = "forever",
) -> Response:
    try:
        days = admin.duration_days(duration) if action == "suspend" else None
        outcome = reports.resolve(
            session=session,
            actor=user,
            report_id=report_id,
            action=action,
            reason=reason,
            days=days,
        )
    except ValidationFailed as exc:
        message = " ".join(exc.errors.values())
        return _queue(request, session, 1, {report_id: message}, reason, status_code=422)
    response = RedirectResponse("/admin/reports", status_code=303)
    done = {"warned": "its author is warned", "suspended": "its author is suspended"}
    told = done.get(outcome, f"the item is {outcome}")
    flash(response, request, f"Done: {told}, and its reporters are told.")
    return response
