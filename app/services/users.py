"""Accounts: registration, lookup, credentials."""

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings
from app.models import User
from app.security import dummy_hash, hash_password, verify_password
from app.services import AlreadyExists, LoginFailed, ValidationFailed, sessions, throttle
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


def _taken(session: Session, username: str, email: str) -> dict[str, str]:
    errors = {}
    if session.exec(select(func.count()).where(User.username_key == username.lower())).one():
        errors["username"] = "That username is taken."
    if session.exec(select(func.count()).where(User.email == email)).one():
        errors["email"] = "An account with this email already exists. Log in instead?"
    return errors


def register(
    *, session: Session, settings: Settings, username: str, email: str, password: str
) -> User:
    """Create a user after checking every field; raises ValidationFailed with per-field errors."""
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
    try:
        check_password(
            password, username=clean.get("username", username), email=clean.get("email", email)
        )
    except ValueError as exc:
        errors["password"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    taken = _taken(session, clean["username"], clean["email"])
    if taken:
        raise AlreadyExists(taken)

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
            _taken(session, clean["username"], clean["email"])
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
