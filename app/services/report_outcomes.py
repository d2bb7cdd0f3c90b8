"""An item was dealt with: its open reports are answered, wherever the decision was made.

A leaf of the post and comment services, so a moderator's hide or removal outside the queue
answers the item's reporters exactly as the queue does (app.services.reports).
"""

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.models import Report
from app.services import notifications


def settle(
    *,
    session: Session,
    item_type: str,
    item_id: int | None,
    outcome: str,
    at: datetime | None = None,
) -> list[Report]:
    """Resolve every open report on the item with `outcome` and tell each reporter, without
    naming who decided; in the caller's transaction. The reports answered (none: no-op)."""
    if item_id is None:
        return []
    open_reports = session.exec(
        select(Report).where(
            Report.item_type == item_type,
            Report.item_id == item_id,
            col(Report.resolved_at).is_(None),
        )
    ).all()
    now = at or datetime.now(UTC)
    for each in open_reports:
        each.resolved_at, each.outcome = now, outcome
        session.add(each)
        notifications.add(
            session=session,
            recipient_id=each.reporter_id,
            kind="report_resolved",
            report_id=each.id,
        )
    return list(open_reports)
