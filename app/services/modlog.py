"""The public moderation log: what moderators hid, removed or deleted, and why.

Written in the transaction of the moderator's deed, from the few fields anyone may read
(`ModerationEntry`); never derived from the audit log, whose values hold titles and addresses.
Setting an item aside for review is not a decision, so it is never logged here.
"""

from sqlmodel import Session, col, select

from app.models import ModerationEntry, User
from app.pagination import PAGE_SIZE, Page, paginate

# The only fields the public page shows.
PUBLIC_FIELDS = ("created_at", "action", "item_type", "author_name", "reason")


def record(
    *, session: Session, action: str, item_type: str, author: User | None, reason: str = ""
) -> None:
    """Add a line to `session`; the caller's commit stores it with the deed."""
    session.add(
        ModerationEntry(
            action=action,
            item_type=item_type,
            author_name=author.username if author is not None else "",
            reason=reason,
        )
    )


def page(*, session: Session, page: int) -> Page:
    """Page `page` of the log, newest first, as rows of PUBLIC_FIELDS alone."""
    columns = [col(getattr(ModerationEntry, name)) for name in PUBLIC_FIELDS]
    stmt = select(*columns).order_by(
        col(ModerationEntry.created_at).desc(), col(ModerationEntry.id).desc()
    )
    return paginate(session, stmt, page, PAGE_SIZE)
