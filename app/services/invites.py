"""Invite links (REGISTRATION=invite): members create them, a new person signs up with one.

A token is 32 random bytes in the link; only its SHA-256 is stored (app.security.token_hash), so
the link is shown once, when it is made. Each member may create INVITES_PER_MEMBER of them,
used or not; revoking an unused one deletes it and gives it back. Using one records who
invited whom (`Invite.used_by_id`), in the sign-up's own transaction.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Invite, User, utcnow
from app.security import token_hash
from app.services import Forbidden, NotFound, ValidationFailed, users

NOT_INVITE_MODE = "Invites are only used when sign-ups are by invitation."
INVALID_INVITE = "This invite link does not work: it was already used or revoked, or it is wrong."


class InvalidInvite(ValidationFailed):
    """A token that opens no invite: unknown, used, revoked, or its member is gone."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__({"invite": INVALID_INVITE})

    def api_detail(self) -> None:
        return None  # one message


@dataclass(frozen=True)
class Row:
    """An invite as its creator sees it."""

    id: int
    created_at: datetime
    used_at: datetime | None
    used_by: str | None  # the username, if the account still exists


def create(*, session: Session, settings: Settings, inviter: User) -> str:
    """A new invite by `inviter`, committed; returns the token (never stored as such).

    The inviter's row is locked and the count taken after the insert, as reports do, so a
    burst of requests cannot pass the limit.
    """
    if settings.registration != "invite":
        raise Forbidden(NOT_INVITE_MODE)
    users.may_act(session, inviter)
    assert inviter.id is not None
    session.exec(select(User.id).where(User.id == inviter.id).with_for_update())
    token = secrets.token_urlsafe(32)
    session.add(Invite(token_hash=token_hash(token), inviter_id=inviter.id, created_at=utcnow()))
    session.flush()
    made = len(session.exec(select(Invite.id).where(Invite.inviter_id == inviter.id)).all())
    if made > settings.invites_per_member:
        session.rollback()
        raise Forbidden(
            f"You have made all {settings.invites_per_member} of your invites. Revoking one "
            "nobody has used gives it back."
        )
    session.commit()
    return token


def left(*, session: Session, settings: Settings, inviter: User) -> int:
    made = len(session.exec(select(Invite.id).where(Invite.inviter_id == inviter.id)).all())
    return max(0, settings.invites_per_member - made)


def made_by(*, session: Session, inviter: User) -> list[Row]:
    """`inviter`'s invites, newest first, with who used each."""
    invitee = aliased(User)
    rows = session.exec(
        select(Invite.id, Invite.created_at, Invite.used_at, invitee.username)
        .outerjoin(invitee, col(invitee.id) == col(Invite.used_by_id))
        .where(Invite.inviter_id == inviter.id)
        .order_by(col(Invite.created_at).desc(), col(Invite.id).desc())
    ).all()
    return [Row(*row) for row in rows]


def revoke(*, session: Session, inviter: User, invite_id: int) -> None:
    """Delete one of `inviter`'s unused invites; its link stops working."""
    invite = session.get(Invite, invite_id)
    if invite is None or invite.inviter_id != inviter.id:
        raise NotFound("You have no such invite.")
    if invite.used_at is not None:
        raise Forbidden("That invite was used already; it cannot be revoked.")
    session.delete(invite)
    session.commit()


def find_open(*, session: Session, token: str) -> tuple[Invite, User]:
    """The unused invite behind `token` and the member who made it, or InvalidInvite."""
    if not token or len(token) > 100:
        raise InvalidInvite()
    invite = session.exec(select(Invite).where(Invite.token_hash == token_hash(token))).first()
    if invite is None or invite.used_at is not None:
        raise InvalidInvite()
    inviter = session.get(User, invite.inviter_id)
    if not users.available(inviter):  # an invite is only as good as the member behind it
        raise InvalidInvite()
    assert inviter is not None
    return invite, inviter


def use(*, session: Session, invite: Invite, user: User) -> None:
    """Mark `invite` used by the new `user`, in the sign-up's transaction; InvalidInvite (after a
    rollback) if another sign-up used it first."""
    taken = session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_by_id=user.id, used_at=utcnow())
    )
    if taken.rowcount != 1:
        session.rollback()
        raise InvalidInvite()


@dataclass(frozen=True)
class Tree:
    """Who invited an account and whom it invited (for administrators)."""

    invited_by: User | None
    invited: list[User]


def tree(*, session: Session, user: User) -> Tree:
    parent = session.exec(
        select(User)
        .join(Invite, col(Invite.inviter_id) == col(User.id))
        .where(Invite.used_by_id == user.id)
    ).first()
    children = session.exec(
        select(User)
        .join(Invite, col(Invite.used_by_id) == col(User.id))
        .where(Invite.inviter_id == user.id)
        .order_by(col(Invite.used_at))
    ).all()
    return Tree(invited_by=parent, invited=list(children))
