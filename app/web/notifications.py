"""The notifications page: newest first, each opened by a button that marks it read."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app import pagination
from app.auth import LoginRequired
from app.db import run_db
from app.deps import CurrentUser, NotificationId, OptionalUser, PageNo, SessionDep
from app.services import inbox
from app.templating import flash, render
from app.web import PageRouter

router = PageRouter(prefix="/notifications")


# Read-only and viewed often (the header links here): `async def`, with the visitor as the
# cookie resolved them and a prebuilt read, no ORM session or thread hop (docs/performance.md).
@router.get("")
async def notifications_page(request: Request, user: OptionalUser, page: PageNo = 1) -> Response:
    if user is None:
        raise LoginRequired()
    engine = request.app.state.engine
    listing = await run_db(engine, inbox.page, engine=engine, user_id=user.id, page=page)
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
