"""Reports as JSON: a member reports an item; moderators read the queue and decide."""

from fastapi import APIRouter, Request, Response

from app.api import error_responses, operation_id
from app.deps import ApiUser, PageNo, ReportId, SessionDep
from app.models import status_of
from app.schemas import (
    ReportCreate,
    ReportGroupOut,
    ReportOut,
    ReportQueue,
    ReportResolve,
    ReportResolved,
)
from app.services import Forbidden, posts, reports
from app.services.reports import Group

router = APIRouter(
    prefix="/api/reports", tags=["reports"], generate_unique_id_function=operation_id
)

MODERATORS_ONLY = "Only moderators and administrators handle reports."


@router.post(
    "",
    status_code=201,
    summary="Report a post, comment or profile",
    responses=error_responses(
        400,
        401,
        403,
        404,
        409,
        429,
        e403="It is your own item, or your address is not confirmed yet.",
        e409="You have an open report on this item already.",
        e429="You sent REPORTS_PER_HOUR reports in the last hour; wait Retry-After seconds.",
    ),
)
def api_create_report(
    request: Request, response: Response, session: SessionDep, user: ApiUser, data: ReportCreate
) -> ReportOut:
    """Tell the moderators; you hear the outcome in your notifications, never who decided."""
    report = reports.file(
        session=session,
        settings=request.app.state.settings,
        reporter=user,
        item_type=data.item_type,
        item_id=data.item_id,
        reason=data.reason,
        note=data.note,
    )
    return ReportOut.model_validate(report, from_attributes=True)


def _status(group: Group) -> str:
    item = group.item
    if item is None:
        return "gone"
    if group.item_type == "post":
        return status_of(item)
    if group.item_type == "comment":
        return "pending" if item.pending_at else ("removed" if item.deleted else "published")
    return "active"


@router.get(
    "",
    summary="The moderation queue",
    responses=error_responses(401, 403, e403=MODERATORS_ONLY),
)
def api_list_reports(session: SessionDep, user: ApiUser, page: PageNo = 1) -> ReportQueue:
    """Open reports grouped by item, the longest-waiting first (moderators)."""
    if not posts.may_moderate(user):
        raise Forbidden(MODERATORS_ONLY)
    listing = reports.queue_page(session=session, page=page)
    items = [
        ReportGroupOut(
            report_id=g.report_id,
            item_type=g.item_type,
            item_id=g.item_id,
            item_status=_status(g),
            author=g.author.username if g.author is not None else None,
            count=g.count,
            first_reported_at=g.first_at,
            reasons=g.reasons,
            notes=g.notes,
            actions=list(g.actions),
        )
        for g in listing.items
    ]
    return ReportQueue(items=items, page=listing.number, has_next=listing.has_next)


@router.post(
    "/{report_id}/resolve",
    summary="Decide on a reported item",
    responses=error_responses(
        400,
        401,
        403,
        404,
        e403=MODERATORS_ONLY,
        e404="No such open report.",
    ),
)
def api_resolve_report(
    session: SessionDep, user: ApiUser, report_id: ReportId, data: ReportResolve
) -> ReportResolved:
    """Dismiss the reports or take the item down; every open report on it is answered."""
    outcome = reports.resolve(
        session=session, actor=user, report_id=report_id, action=data.action, reason=data.reason
    )
    return ReportResolved(outcome=outcome)  # type: ignore[arg-type]
