"""Accounts: registration, lookup, credentials."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Comment, Post, User, Vote, utcnow
from app.security import dummy_hash, hash_password, verify_password
from app.services import (
    AlreadyExists,
    Forbidden,
    LoginFailed,
    NotFound,
    Suspended,
    ValidationFailed,
    audit,
    changes,
    comment_authors,
    sessions,
    tag_counts,
    throttle,
)
from app.services.validation import USERNAME_RE, check_password, clean_email, clean_username

NOT_CURRENT_MESSAGE = "That is not your current password."  # noqa: S105 (a message)


def _unstorable(value: str) -> bool:
    """No stored name holds NUL, and PostgreSQL refuses it even in a lookup."""
    return "\x00" in value


def get_by_username(session: Session, username: str) -> User | None:
    # Anything that could never be a username (NUL bytes, odd Unicode) is answered without a query.
    if not USERNAME_RE.fullmatch(username):
        return None
    return session.exec(select(User).where(User.username_key == username.lower())).first()


def available(user: User | None) -> bool:
    """The one rule for an account others may see: one that is not suspended.

    An unavailable account is gone from view everywhere: its profile and follower lists answer
    404, its posts 404 and leave every feed, search and count, and it is in no list of people.
    `AVAILABLE` below is the same rule in SQL, for the lists.
    """
    return user is not None and user.is_active


def available_as(table: Any) -> Any:
    """`available` as a condition on `table`: the `user` table or an alias of it."""
    return col(table.is_active).is_(True)


# `available` as a condition on the `user` table, for every list that shows people or posts.
AVAILABLE = available_as(User)


def get_available(session: Session, username: str) -> User:
    """The account called `username` if others may see it (`available`), else NotFound."""
    user = get_by_username(session, username)
    if not available(user):
        raise NotFound("There is no user with that name.")
    assert user is not None
    return user


def get_by_login(session: Session, login: str) -> User | None:
    """Find a user by email or, failing that, by username (both ignore case)."""
    login = login.strip().lower()
    if not login or len(login) > 300 or _unstorable(login):
        return None
    column = User.email if "@" in login else User.username_key
    return session.exec(select(User).where(column == login)).first()


EMAIL_TAKEN = "An account with this email already exists."


def taken(
    session: Session, username: str, email: str, exclude_id: int | None = None
) -> dict[str, str]:
    """Field errors for a username or email already used by another account than `exclude_id`."""
    errors = {}
    others = select(func.count()).where(User.id != exclude_id)
    if session.exec(others.where(User.username_key == username.lower())).one():
        errors["username"] = "That username is taken."
    if session.exec(others.where(User.email == email)).one():
        errors["email"] = EMAIL_TAKEN
    return errors


def clean_identity(username: str, email: str) -> tuple[dict[str, str], dict[str, str]]:
    """Normalised username and email, and an error per field that fails its rule."""
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name, cleaner, value in (
        ("username", clean_username, username),
        ("email", clean_email, email),
    ):
        try:
            clean[name] = cleaner(value)
        except ValueError as exc:
            errors[name] = str(exc)
    return clean, errors


def may_log_in(user: User | None) -> bool:
    """The one rule for whether an account may start a session: by password or by a reset.

    A suspension that has run out still refuses until it is lifted (`lift_if_over`, at the
    next login or by the sweep), so the counts its lifting restores come back first.
    """
    return user is not None and user.is_active


def suspension_message(user: User) -> str:
    """What a suspended account's owner reads when they log in with the right password."""
    if user.suspended_until is None:
        message = "Your account is suspended indefinitely"
    else:
        message = f"Your account is suspended until {user.suspended_until:%Y-%m-%d %H:%M} UTC"
    return f"{message}: {user.suspension_reason}" if user.suspension_reason else f"{message}."


def set_available(
    *,
    session: Session,
    actor: User | None,
    user: User,
    available: bool,
    action: str,
    until: datetime | None = None,
    reason: str = "",
    system: bool = False,
) -> bool:
    """Suspend `user` (until `until`, None for good) or lift it, audited as `action`, and commit;
    False, changing nothing, if it already was so.

    The one way an account becomes unavailable or available again: its posts, tags and comments
    leave (or rejoin) every count here, and a suspension ends every session at once.
    """
    was_admin = user.is_admin and user.is_active
    assert user.id is not None
    # One conditional UPDATE, the account row first: of two lifts at once (the sweep in each
    # worker, a login) one changes it and moves the counts; and a comment being written
    # meanwhile waits for it (comments.write).
    flipped = session.exec(
        update(User)
        .where(col(User.id) == user.id, col(User.is_active).is_(not available))
        .values(
            is_active=available,
            suspended_until=None if available else until,
            suspension_reason="" if available else reason,
        )
    )
    if flipped.rowcount != 1:
        session.rollback()
        session.refresh(user)
        return False
    session.refresh(user)
    tag_counts.count_author(session, user.id, 1 if available else -1)  # their posts' tags
    comment_authors.set_counted(session=session, user_id=user.id, counted=available)
    before = {"is_active": not available}
    after: dict[str, Any] = {"is_active": available}
    if not available:
        after.update(until=until.isoformat() if until else "never", reason=reason)
    audit.record(
        session=session,
        actor=actor,
        action=action,
        target=user,
        before=before,
        after=after,
        system=system,
    )
    if was_admin and not available:
        session.flush()
        ensure_admin_left(session, user, actor)
    # Their posts leave (or come back to) every listing; their comments lose their author, so
    # the posts they commented on (and their comments feeds) change too.
    changes.bump(
        session, changes.SITE, changes.user(user.id), *changes.touched_by(session, user.id)
    )
    session.commit()
    if not available:
        # The session check refuses suspended users already; ending the rows makes it final.
        sessions.end_all_for_user(session=session, user_id=user.id)
    return True


def lift_if_over(session: Session, user: User, now: datetime | None = None) -> bool:
    """Lift `user`'s timed suspension if it has run out (audited as the system's doing)."""
    now = now or utcnow()
    if user.is_active or user.suspended_until is None or user.suspended_until > now:
        return False
    return set_available(
        session=session,
        actor=None,
        user=user,
        available=True,
        action="user.unsuspend",
        system=True,
    )


NOT_VERIFIED = (
    "Confirm your email address first: open the link we sent you, or ask for a new one at the "
    "top of the page. Until then you can read and keep drafts."
)


def may_act(session: Session, user: User | None) -> None:
    """Raise Forbidden when the site needs a confirmed address (EMAIL_VERIFICATION=required)
    to publish, comment or vote, and `user` has none yet: the one check, called by the
    services that publish (posts), comment (comments) and vote (votes)."""
    required = session.info.get("email_verification") == "required"
    if required and user is not None and not user.verified:
        raise Forbidden(NOT_VERIFIED)


def register(
    *,
    session: Session,
    settings: Settings,
    username: str,
    email: str,
    password: str,
    verified: bool = False,
    welcome: Callable[[User], None] | None = None,
) -> User:
    """Create a user after checking every field; raises ValidationFailed with per-field errors.

    `verified` accounts (made by an administrator at the console, or demo data) need no
    confirmation. `welcome` runs in the same transaction, after the insert: the confirmation
    mail is queued with the account, or neither is kept.
    """
    clean, errors = clean_identity(username, email)
    try:
        check_password(
            password, username=clean.get("username", username), email=clean.get("email", email)
        )
    except ValueError as exc:
        errors["password"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    in_use = taken(session, clean["username"], clean["email"])
    if in_use:
        raise AlreadyExists(in_use)

    user = User(
        username=clean["username"],
        username_key=clean["username"].lower(),
        email=clean["email"],
        password_hash=hash_password(password, settings.bcrypt_rounds),
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    try:
        session.flush()
        if welcome is not None:
            welcome(user)
        session.commit()
    except IntegrityError:
        # Two sign-ups raced for the same name between our check and the insert.
        session.rollback()
        raise AlreadyExists(
            taken(session, clean["username"], clean["email"])
            or {"username": "That username or email was just taken."}
        ) from None
    session.refresh(user)
    return user


def password_right(
    *,
    session: Session,
    settings: Settings,
    user: User | None,
    password: str,
    ip: str,
    login: str | None = None,
) -> bool:
    """Whether `password` is `user`'s, checked behind the login throttle, whatever the
    account's state: the one way every form that asks for a password checks it.

    `login` is what was typed to name the account, if anything. The attempt is counted before
    the hash is checked; raises Throttled when it may not be made. Every attempt costs one hash
    check, whether or not there is a user to check against.
    """
    keys = throttle.keys(identifier=login, account_id=user.id if user else None, ip=ip)
    reservation = throttle.reserve(session=session, settings=settings, keys=keys)
    if user is None or not reservation.check:
        verify_password(password, dummy_hash(settings.bcrypt_rounds), settings.bcrypt_rounds)
        return False
    if not verify_password(password, user.password_hash, settings.bcrypt_rounds):
        return False
    throttle.release(session=session, reservation=reservation)
    return True


def log_in(*, session: Session, settings: Settings, login: str, password: str, ip: str) -> User:
    """The active user these credentials name (pages and API alike).

    Raises Throttled while the login typed or the IP is locked, and LoginFailed, one answer
    for every reason, when the credentials match no account. With the right password for a
    suspended account, lifts a suspension that has run out, or raises Suspended with the end
    date and reason: only the account's owner learns it is suspended.
    """
    user = get_by_login(session, login)
    if not password_right(
        session=session, settings=settings, user=user, password=password, ip=ip, login=login
    ):
        raise LoginFailed("Incorrect login or password.")
    assert user is not None
    if not may_log_in(user):
        lift_if_over(session, user)  # reloads `user`, also when another process lifted it
    if not may_log_in(user):
        raise Suspended(suspension_message(user))
    return user


def confirm_password(
    *, session: Session, settings: Settings, user: User, password: str, ip: str
) -> None:
    """Raise ValidationFailed unless `password` is the logged-in user's own.

    Throttled like a login: without it, a stolen session could try passwords here without limit.
    """
    right = password_right(session=session, settings=settings, user=user, password=password, ip=ip)
    if not (right and may_log_in(user)):
        raise ValidationFailed({"current_password": NOT_CURRENT_MESSAGE})


def ensure_admin_left(session: Session, user: User, actor: User | None = None) -> None:
    """Call after flushing a change that stops `user` being an active admin: if none would be
    left, undo the change and refuse.

    Checking after the write, with the admin rows locked, is what stops two admins who demote
    each other at the same moment from both succeeding: SQLite lets one writer in at a time,
    and PostgreSQL makes the second wait for the first's row locks.
    """
    admins = session.exec(
        select(User.id).where(User.role == "admin", col(User.is_active).is_(True)).with_for_update()
    ).all()
    if admins:
        return
    session.rollback()
    # The rollback expired them; reload now, while the session is open, for the error page.
    for obj in {id(o): o for o in (user, actor) if o is not None}.values():
        session.refresh(obj)
    raise Forbidden(
        f"{user.username} is the only active administrator. Make someone else an "
        "administrator first, so the site is never left without one."
    )


def footprint(*, session: Session, user: User) -> dict[str, int]:
    """What deleting `user` takes with it: their posts, drafts, the votes they cast and the
    comments they wrote (those with replies stay as "[deleted]")."""
    counts = session.exec(
        select(col(Post.published), func.count())
        .where(Post.owner_id == user.id)
        .group_by(col(Post.published))
    ).all()
    by_state = {bool(published): int(n) for published, n in counts}
    votes = session.exec(select(func.count()).where(Vote.user_id == user.id)).one()
    written = session.exec(
        select(func.count()).where(Comment.author_id == user.id, col(Comment.deleted).is_(False))
    ).one()
    return {
        "posts": by_state.get(True, 0),
        "drafts": by_state.get(False, 0),
        "votes": int(votes),
        "comments": int(written),
    }


def remove(*, session: Session, user: User, actor: User | None = None) -> None:
    """Delete an account with its posts, votes and sessions, in one transaction.

    The database cascades the rows away; the vote counters on other people's posts are lowered
    first, because a cascade would leave them counting votes that no longer exist. Their
    comments go too, but those with replies stay as "[deleted]" (app.services.comment_authors).
    """
    was_admin = user.is_admin and user.is_active
    assert user.id is not None
    # Their posts, and the counts on others' posts and comments, change with them.
    changes.bump(
        session, changes.SITE, changes.user(user.id), *changes.touched_by(session, user.id)
    )
    if user.is_active:  # their public posts leave their tags' counts
        tag_counts.count_author(session, user.id, -1)
    voted = select(Vote.post_id).where(Vote.user_id == user.id)
    session.exec(
        update(Post)
        .where(col(Post.id).in_(voted), col(Post.owner_id) != user.id)
        .values(vote_count=Post.vote_count - 1)
    )
    assert user.id is not None
    comment_authors.forget(session=session, user_id=user.id, counted=user.is_active)
    session.exec(delete(User).where(col(User.id) == user.id))
    if was_admin:
        ensure_admin_left(session, user, actor)
    session.commit()


def change_password(
    *,
    session: Session,
    settings: Settings,
    user: User,
    current_password: str,
    new_password: str,
    ip: str,
    keep_jti: str | None,
    confirmation: str | None = None,
) -> int:
    """Replace the password and end every other session of the user; returns how many ended.

    Needs the current password (see confirm_password). Raises ValidationFailed with
    per-field errors and then changes nothing.
    """
    errors: dict[str, str] = {}
    try:
        confirm_password(
            session=session, settings=settings, user=user, password=current_password, ip=ip
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        check_password(new_password, username=user.username, email=user.email)
    except ValueError as exc:
        errors["new_password"] = str(exc)
    if confirmation is not None and "new_password" not in errors and confirmation != new_password:
        errors["confirm_password"] = "The two new passwords differ."  # noqa: S105 (a message)
    if errors:
        raise ValidationFailed(errors)
    assert user.id is not None
    user.password_hash = hash_password(new_password, settings.bcrypt_rounds)
    session.add(user)
    # One transaction: the new hash and the end of the other sessions commit together.
    return sessions.end_all_for_user(session=session, user_id=user.id, keep_jti=keep_jti)
