"""The notifications page: newest first, each opened by a button that marks it read."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app import pagination
from app.deps import CurrentUser, NotificationId, PageNo, SessionDep
from app.services import inbox
from app.templating import flash, render
from app.web import PageRouter

router = PageRouter(prefix="/notifications")


@router.get("")
def notifications_page(
    request: Request, session: SessionDep, user: CurrentUser, page: PageNo = 1
) -> Response:
    assert user.id is not None
    listing = inbox.page(session=session, user_id=user.id, page=page)
    pager = pagination.numbered(listing, "/notifications")
    return render(request, "notifications/index.html", {"page": listing, "pager": pager})


@router.post("/{notification_id}/open")
def open_notification(
    session: SessionDep, user: CurrentUser, notification_id: NotificationId
) -> Response:
    assert user.id is not None
    target = inbox.open_one(session=session, user_id=user.id, notification_id=notification_id)
    return RedirectResponse(target, status_code=303)


@router.post("/read")
def mark_all_read(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    assert user.id is not None
    marked = inbox.mark_read(session=session, user_id=user.id)
    response = RedirectResponse("/notifications", status_code=303)
    flash(response, request, "All caught up." if marked else "Nothing was unread.")
    return response
