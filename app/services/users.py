"""Accounts: registration, lookup, credentials."""

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Post, User, Vote
from app.security import dummy_hash, hash_password, verify_password
from app.services import AlreadyExists, Forbidden, LoginFailed, ValidationFailed, sessions, throttle
from app.services.validation import USERNAME_RE, check_password, clean_email, clean_username


def _unstorable(value: str) -> bool:
    """No stored name holds NUL, and PostgreSQL refuses it even in a lookup."""
    return "\x00" in value


def get_by_username(session: Session, username: str) -> User | None:
    # Anything that could never be a username (NUL bytes, odd Unicode) is answered without a query.
    if not USERNAME_RE.fullmatch(username):
        return None
    return session.exec(select(User).where(User.username_key == username.lower())).first()


def get_by_login(session: Session, login: str) -> User | None:
    """Find a user by email or, failing that, by username (both ignore case)."""
    login = login.strip().lower()
    if not login or len(login) > 300 or _unstorable(login):
        return None
    column = User.email if "@" in login else User.username_key
    return session.exec(select(User).where(column == login)).first()


def taken(
    session: Session, username: str, email: str, exclude_id: int | None = None
) -> dict[str, str]:
    """Field errors for a username or email already used by another account than `exclude_id`."""
    errors = {}
    others = select(func.count()).where(User.id != exclude_id)
    if session.exec(others.where(User.username_key == username.lower())).one():
        errors["username"] = "That username is taken."
    if session.exec(others.where(User.email == email)).one():
        errors["email"] = "An account with this email already exists. Log in instead?"
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


def register(
    *, session: Session, settings: Settings, username: str, email: str, password: str
) -> User:
    """Create a user after checking every field; raises ValidationFailed with per-field errors."""
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
    )
    session.add(user)
    try:
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


def authenticate(*, session: Session, settings: Settings, login: str, password: str) -> User | None:
    """The active user with these credentials, or None; unknown logins cost a hash check too."""
    user = get_by_login(session, login)
    if user is None:
        verify_password(password, dummy_hash(settings.bcrypt_rounds), settings.bcrypt_rounds)
        return None
    if not verify_password(password, user.password_hash, settings.bcrypt_rounds):
        return None
    if not user.is_active:
        return None
    return user


def log_in(*, session: Session, settings: Settings, login: str, password: str, ip: str) -> User:
    """Check credentials behind the per-account and per-IP throttle (pages and API alike).

    Raises Throttled while the account or the IP is locked, LoginFailed (and counts the failure)
    when the credentials match no active account.
    """
    throttle.check(session=session, login=login, ip=ip)
    user = authenticate(session=session, settings=settings, login=login, password=password)
    if user is None:
        throttle.record_failure(session=session, settings=settings, login=login, ip=ip)
        raise LoginFailed("Incorrect login or password.")
    throttle.record_success(session=session, login=login)
    return user


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
    """What deleting `user` takes with it: their posts, drafts and the votes they cast."""
    counts = session.exec(
        select(col(Post.published), func.count())
        .where(Post.owner_id == user.id)
        .group_by(col(Post.published))
    ).all()
    by_state = {bool(published): int(n) for published, n in counts}
    votes = session.exec(select(func.count()).where(Vote.user_id == user.id)).one()
    return {"posts": by_state.get(True, 0), "drafts": by_state.get(False, 0), "votes": int(votes)}


def remove(*, session: Session, user: User, actor: User | None = None) -> None:
    """Delete an account with its posts, votes and sessions, in one transaction.

    The database cascades the rows away; the vote counters on other people's posts are lowered
    first, because a cascade would leave them counting votes that no longer exist.
    """
    was_admin = user.is_admin and user.is_active
    voted = select(Vote.post_id).where(Vote.user_id == user.id)
    session.exec(
        update(Post)  # type: ignore[call-overload]
        .where(col(Post.id).in_(voted), col(Post.owner_id) != user.id)
        .values(vote_count=Post.vote_count - 1)
    )
    session.exec(delete(User).where(User.id == user.id))  # type: ignore[call-overload,arg-type]
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

    Needs the current password, and guessing it is throttled like guessing it at login
    (Throttled). Raises ValidationFailed with per-field errors and then changes nothing.
    """
    throttle.check(session=session, login=user.email, ip=ip)
    errors: dict[str, str] = {}
    if not verify_password(current_password, user.password_hash, settings.bcrypt_rounds):
        errors["current_password"] = "That is not your current password."  # noqa: S105 (a message)
        throttle.record_failure(session=session, settings=settings, login=user.email, ip=ip)
    try:
        check_password(new_password, username=user.username, email=user.email)
    except ValueError as exc:
        errors["new_password"] = str(exc)
    if confirmation is not None and "new_password" not in errors and confirmation != new_password:
        errors["confirm_password"] = "The two new passwords differ."  # noqa: S105 (a message)
    if errors:
        raise ValidationFailed(errors)
    throttle.record_success(session=session, login=user.email)
    assert user.id is not None
    user.password_hash = hash_password(new_password, settings.bcrypt_rounds)
    session.add(user)
    # One transaction: the new hash and the end of the other sessions commit together.
    return sessions.end_all_for_user(session=session, user_id=user.id, keep_jti=keep_jti)
