"""Your notifications as JSON: list them, mark them read, choose which kinds you get."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from app.api import Limit, error_responses, invalid_query, link_pages, operation_id, read_cursor
from app.deps import ApiUser, SessionDep
from app.pagination import Position, encode_cursor
from app.schemas import (
    MarkedRead,
    NotificationOut,
    NotificationPage,
    NotificationSettings,
    NotificationsRead,
)
from app.services import inbox, notifications

router = APIRouter(
    prefix="/api/notifications", tags=["notifications"], generate_unique_id_function=operation_id
)


def _out(row: Any) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        actor=row.actor,
        post_id=row.post_id,
        post_title=row.post_title,
        comment_id=row.comment_id,
        milestone=row.milestone,
        report_item=row.report_item,
        report_outcome=row.report_outcome,
        note=row.note,
        url=inbox.target(row),
        created_at=row.created_at,
        read_at=row.read_at,
    )


@router.get("", summary="List your notifications", responses=error_responses(401))
def api_list_notifications(
    request: Request,
    response: Response,
    session: SessionDep,
    user: ApiUser,
    limit: Limit = 20,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` from the previous page.")
    ] = None,
    unread_only: Annotated[bool, Query(description="Only the unread ones.")] = False,
) -> NotificationPage:
    """Your notifications, newest first. Read on with `next` until it is null.

    One about a post that is no longer public, a comment since deleted or removed, or someone
    whose account is unavailable is not listed.
    """
    assert user.id is not None
    after = read_cursor(cursor) if cursor else None
    if after is not None and not isinstance(after, Position):
        raise invalid_query("cursor", "That cursor belongs to another listing.")
    window = inbox.window(
        session=session, user_id=user.id, limit=limit, after=after, unread_only=unread_only
    )
    next_cursor = encode_cursor(window.next) if window.next else None
    next_url = None
    if next_cursor:
        query = {"limit": limit, "unread_only": "true" if unread_only else None}
        query["cursor"] = next_cursor
        next_url = f"{request.url.path}?" + urlencode({k: v for k, v in query.items() if v})
    link_pages(response, next=next_url)
    return NotificationPage(
        items=[_out(row) for row in window.items], next_cursor=next_cursor, next=next_url
    )


@router.post("/read", summary="Mark notifications read", responses=error_responses(401))
def api_mark_notifications_read(
    session: SessionDep, user: ApiUser, data: NotificationsRead
) -> MarkedRead:
    """Mark the notifications `ids` read, or every one with `"all": true`. Ids that are not
    yours, or already read, are left as they are."""
    assert user.id is not None
    if data.all:
        marked = inbox.mark_read(session=session, user_id=user.id)
    else:
        marked = inbox.mark_read(session=session, user_id=user.id, ids=list(data.ids))
    return MarkedRead(marked=marked)


@router.get("/settings", summary="Which notifications you get", responses=error_responses(401))
def api_get_notification_settings(session: SessionDep, user: ApiUser) -> NotificationSettings:
    """Each kind of notification, and whether you get it (all of them by default)."""
    assert user.id is not None
    return NotificationSettings(**notifications.settings(session=session, user_id=user.id))


@router.put(
    "/settings", summary="Choose which notifications you get", responses=error_responses(401)
)
def api_put_notification_settings(
    session: SessionDep, user: ApiUser, data: NotificationSettings
) -> NotificationSettings:
    """Turn each kind of notification on (true) or off (false)."""
    assert user.id is not None
    off = {kind for kind, on in data.model_dump().items() if not on}
    notifications.set_muted(session=session, user_id=user.id, kinds=off)
    return NotificationSettings(**notifications.settings(session=session, user_id=user.id))
