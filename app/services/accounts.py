"""Links sent by mail: password resets, address confirmations, and the rule they feed.

A token is 32 random bytes in the link; only its SHA-256 is stored, so a copy of the database
opens no account. Each token is single use, expires, and carries a `stamp` of what it was
issued against (the address; for a reset also the password hash): changing either any other
way kills every outstanding link at once, without anyone having to find and delete them.
"""

import hashlib
import math
import secrets
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import AccountToken, Invite, User, utcnow
from app.security import hash_password, token_hash
from app.services import (
    AlreadyExists,
    Forbidden,
    Throttled,
    ValidationFailed,
    invites,
    mail,
    sessions,
    throttle,
    users,
)
from app.services.validation import check_password

RESET, VERIFY, EMAIL = "reset", "verify", "email"
INVALID_LINK = "This link is invalid or has expired, or it was already used."
RESEND_GAP = timedelta(minutes=1)
RESENDS_PER_DAY = 5


class InvalidLink(ValidationFailed):
    """A token that opens nothing: unknown, used, expired, or issued before a change."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__({"token": INVALID_LINK})

    def api_detail(self) -> None:
        return None  # one message


def _stamp(user: User, purpose: str) -> str:
    parts = [purpose, user.email, user.password_hash if purpose == RESET else ""]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def issue(*, session: Session, settings: Settings, user: User, purpose: str, email: str) -> str:
    """A new token for `user` (added to the caller's transaction); returns the token itself."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    lifetime = (
        timedelta(minutes=settings.reset_token_minutes)
        if purpose == RESET
        else timedelta(hours=settings.verify_token_hours)
    )
    now = utcnow()
    session.add(
        AccountToken(
            token_hash=token_hash(token),
            user_id=user.id,
            purpose=purpose,
            email=email,
            stamp=_stamp(user, purpose),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def find(*, session: Session, token: str, purposes: tuple[str, ...]) -> tuple[AccountToken, User]:
    """The live token and its account, or InvalidLink."""
    if not token or len(token) > 100:
        raise InvalidLink()
    row = session.exec(
        select(AccountToken).where(AccountToken.token_hash == token_hash(token))
    ).first()
    if row is None or row.purpose not in purposes or row.expires_at <= utcnow():
        raise InvalidLink()
    user = session.get(User, row.user_id)
    if user is None or not users.may_log_in(user) or row.stamp != _stamp(user, row.purpose):
        raise InvalidLink()
    return row, user


def _forget(session: Session, user_id: int, *purposes: str) -> None:
    session.exec(
        delete(AccountToken).where(
            col(AccountToken.user_id) == user_id, col(AccountToken.purpose).in_(purposes)
        )
    )


# --- password reset -----------------------------------------------------------------------------


def reset_policy(settings: Settings) -> throttle.Policy:
    return throttle.Policy(
        refusal="Too many password reset requests.",
        per_identifier=settings.login_max_failures_account,
        per_ip=settings.login_max_failures_ip,
        lock_seconds=settings.login_lock_seconds,
        lock_max_seconds=settings.login_lock_max_seconds,
    )


def send_reset(*, session: Session, settings: Settings, user: User, kind: str = "reset") -> None:
    """Queue a reset link to `user` (in the caller's transaction)."""
    token = issue(session=session, settings=settings, user=user, purpose=RESET, email=user.email)
    mail.queue(
        session=session,
        settings=settings,
        kind=kind,
        to=user.email,
        context={
            "username": user.username,
            "url": mail.link(settings, f"/password/reset/{token}"),
            "minutes": settings.reset_token_minutes,
        },
    )


def request_reset(*, session: Session, settings: Settings, email: str, ip: str) -> None:
    """Mail a reset link if `email` names an account that may log in; otherwise do the same
    work and send nothing. Throttled per address typed and per IP (raises Throttled)."""
    keys = throttle.keys(identifier=email, account_id=None, ip=ip, scope="reset")
    throttle.reserve(session=session, settings=settings, keys=keys, policy=reset_policy(settings))
    user = users.get_by_login(session, email) if "@" in email else None
    if users.may_log_in(user):
        assert user is not None
        send_reset(session=session, settings=settings, user=user)
    else:
        token_hash(secrets.token_urlsafe(32))  # the work a real link costs
    session.commit()


def check_reset(*, session: Session, token: str) -> User:
    """The account a reset token opens (InvalidLink otherwise); changes nothing."""
    return find(session=session, token=token, purposes=(RESET,))[1]


def reset_password(*, session: Session, settings: Settings, token: str, password: str) -> User:
    """Set a new password through a reset link: the link is used up, every session and API
    token of the account ends, the address counts as verified (the mail reached its owner),
    and the owner gets a notice. Raises InvalidLink or ValidationFailed and then changes nothing.
    """
    _, user = find(session=session, token=token, purposes=(RESET,))
    try:
        check_password(password, username=user.username, email=user.email)
    except ValueError as exc:
        raise ValidationFailed({"password": str(exc)}) from None
    assert user.id is not None
    user.password_hash = hash_password(password, settings.bcrypt_rounds)
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(user)
    _forget(session, user.id, RESET)
    mail.queue(
        session=session,
        settings=settings,
        kind="password_changed",
        to=user.email,
        context={"username": user.username, "forgot_url": mail.link(settings, "/password/forgot")},
    )
    sessions.end_all_for_user(session=session, user_id=user.id)  # commits all of it
    session.refresh(user)
    return user


# --- verification -----------------------------------------------------------------------------


def send_verification(*, session: Session, settings: Settings, user: User) -> None:
    """Queue a link that confirms `user`'s address (in the caller's transaction)."""
    token = issue(session=session, settings=settings, user=user, purpose=VERIFY, email=user.email)
    mail.queue(
        session=session,
        settings=settings,
        kind="verify",
        to=user.email,
        context={
            "username": user.username,
            "email": user.email,
            "url": mail.link(settings, f"/email/verify/{token}"),
            "hours": round(settings.verify_token_hours),
        },
    )


def resend_verification(*, session: Session, settings: Settings, user: User) -> bool:
    """Send the confirmation link again: at most once a minute and five times a day.

    Returns False when there is nothing to confirm; raises Throttled when it is too soon.
    """
    if user.verified:
        return False
    now = utcnow()
    recent = session.exec(
        select(func.count(), func.max(AccountToken.created_at)).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == VERIFY,
            AccountToken.created_at > now - timedelta(days=1),
        )
    ).one()
    count, latest = int(recent[0]), recent[1]
    if latest is not None and now - latest < RESEND_GAP:
        wait = math.ceil((RESEND_GAP - (now - latest)).total_seconds())
        raise Throttled(f"We just sent one. You can ask again in {wait} seconds.", wait)
    if count >= RESENDS_PER_DAY:
        raise Throttled("We have sent five links today. Try again tomorrow.", 3600)
    send_verification(session=session, settings=settings, user=user)
    session.commit()
    return True


def confirm_email(*, session: Session, token: str) -> tuple[User, str]:
    """Confirm the address a link was sent to; returns the account and what was confirmed
    ("verify": its address; "email": a new address it now uses)."""
    row, user = find(session=session, token=token, purposes=(VERIFY, EMAIL))
    assert user.id is not None
    if row.purpose == EMAIL:
        if users.taken(session, user.username, row.email, exclude_id=user.id).get("email"):
            raise ValidationFailed({"token": "Another account uses that address now."})
        user.email = row.email
        # The old address's links (resets included) die with it through their stamps.
    user.email_verified_at = utcnow()
    session.add(user)
    _forget(session, user.id, row.purpose)
    session.commit()
    session.refresh(user)
    return user, row.purpose


def request_email_change(*, session: Session, settings: Settings, user: User, email: str) -> None:
    """Mail a confirmation link to the new address and a notice to the old one; the address
    changes only when the link is used (in the caller's transaction)."""
    token = issue(session=session, settings=settings, user=user, purpose=EMAIL, email=email)
    base = {"username": user.username, "hours": round(settings.verify_token_hours)}
    mail.queue(
        session=session,
        settings=settings,
        kind="email_change",
        to=email,
        context={**base, "email": email, "url": mail.link(settings, f"/email/verify/{token}")},
    )
    mail.queue(
        session=session,
        settings=settings,
        kind="email_change_notice",
        to=user.email,
        context={
            **base,
            "new_email": email,
            "reset_url": mail.link(settings, "/password/forgot"),
        },
    )


# --- sign-up -----------------------------------------------------------------------------------


def registration_policy(settings: Settings) -> throttle.Policy:
    hour = 3600
    return throttle.Policy(
        refusal="Too many new accounts from your network.",
        per_identifier=settings.registrations_per_ip_hour,
        per_ip=settings.registrations_per_ip_hour,
        window=timedelta(seconds=hour),
        lock_seconds=hour,
        lock_max_seconds=hour,
    )


SIGN_UPS_CLOSED = "Sign-ups are closed on this site for now."
BY_INVITATION = (
    "Sign-ups on this site are by invitation: ask a member for an invite link, and open it "
    "in your browser."
)


def _admission(session: Session, settings: Settings, invite: str | None) -> Invite | None:
    """The invite a sign-up comes with under REGISTRATION=invite (None when sign-ups are
    open); Forbidden when sign-ups are closed, or by invitation and no link was opened."""
    if settings.registration == "closed":
        raise Forbidden(SIGN_UPS_CLOSED)
    if settings.registration == "open":
        return None
    if not invite:
        raise Forbidden(BY_INVITATION)
    return invites.find_open(session=session, token=invite)[0]


def sign_up(
    *,
    session: Session,
    settings: Settings,
    username: str,
    email: str,
    password: str,
    ip: str,
    invite: str | None = None,
) -> User | None:
    """Register a new account (users.register) and mail it a confirmation link, in one
    transaction. Counted per IP, REGISTRATIONS_PER_IP_HOUR an hour (raises Throttled).

    REGISTRATION decides who may: anyone, only someone with an `invite` token (the invite is
    used up in the same transaction: InvalidInvite if it does not work), or no one (Forbidden).

    With EMAIL_VERIFICATION=required the answer never tells whether the address has an
    account: if it has, nothing is made, its owner is mailed a reset link instead, and this
    returns None after the same work (a bcrypt hash) a new account costs. With `optional` the
    new account is logged in at once, so the difference cannot be hidden: AlreadyExists says so.
    """
    admitted = _admission(session, settings, invite)
    keys = throttle.keys(identifier=None, account_id=None, ip=ip, scope="register")
    reservation = throttle.reserve(
        session=session, settings=settings, keys=keys, policy=registration_policy(settings)
    )

    def welcome(user: User) -> None:
        if admitted is not None:
            invites.use(session=session, invite=admitted, user=user)
        send_verification(session=session, settings=settings, user=user)

    try:
        return users.register(
            session=session,
            settings=settings,
            username=username,
            email=email,
            password=password,
            welcome=welcome,
        )
    except AlreadyExists as exc:
        if settings.email_verification != "required" or "email" not in exc.errors:
            throttle.release(session=session, reservation=reservation)
            raise
        if "username" in exc.errors:  # usernames are public; addresses are not
            throttle.release(session=session, reservation=reservation)
            raise AlreadyExists({"username": exc.errors["username"]}) from None
        hash_password(password, settings.bcrypt_rounds)
        owner = users.get_by_login(session, email)
        if users.may_log_in(owner):
            assert owner is not None
            send_reset(session=session, settings=settings, user=owner, kind="signup_attempt")
            session.commit()
        return None
    except ValidationFailed:
        # Only accounts made count: a typo in the form costs nothing.
        throttle.release(session=session, reservation=reservation)
        raise
