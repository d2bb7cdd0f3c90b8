"""The `agora` console command (also `python -m app`)."""

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from app.config import ConfigError, Settings

if TYPE_CHECKING:  # the database stack loads only for the commands that use it
    from sqlmodel import Session

Command = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """Bad input for a command: printed as one line, and the command exits with status 1."""


@contextmanager
def database() -> Iterator[tuple["Session", Settings]]:
    """A session on the configured database (created if new), with its settings."""
    from sqlmodel import Session

    from app.db import create_tables, make_engine

    settings = Settings()
    engine = make_engine(settings)
    try:
        create_tables(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session, settings
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for a password; pipe one in with --password-stdin")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        raise CommandError("the two passwords differ; nothing was changed")
    return password


def cmd_create_admin(args: argparse.Namespace) -> int:
    """Create an administrator, or make the existing account with this email one."""
    from app.services import ValidationFailed, admin, audit, users
    from app.services.validation import clean_email, clean_username

    try:
        email = clean_email(args.email)
    except ValueError as exc:
        raise CommandError(f"--email: {exc}") from None
    try:
        username = clean_username(args.username)
    except ValueError as exc:
        raise CommandError(f"--username: {exc}") from None
    with database() as (session, settings):
        existing = users.get_by_login(session, email)
        if existing is not None:
            if existing.username_key != username.lower():
                raise CommandError(
                    f"{email} belongs to the user {existing.username!r}, not {username!r}; "
                    "nothing was changed"
                )
            promoted = admin.set_role(session=session, actor=None, user=existing, role="admin")
            revived = admin.set_active(session=session, actor=None, user=existing, active=True)
            if not (promoted or revived):
                print(f"{existing.username} <{email}> already is an active administrator.")
            else:
                print(f"{existing.username} <{email}> is now an administrator and can log in.")
            return 0
        if taken := users.taken(session, username, email):
            raise CommandError(" ".join(taken.values()))
        password = _read_password(args.password_stdin)
        try:
            user = users.register(
                session=session,
                settings=settings,
                username=username,
                email=email,
                password=password,
            )
        except ValidationFailed as exc:
            raise CommandError(
                "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
            ) from None
        audit.record(
            session=session, actor=None, action="user.create", target=user, after={"role": "user"}
        )
        admin.set_role(session=session, actor=None, user=user, role="admin")
        print(f"Created the administrator {user.username} <{user.email}>. Log in at /login.")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Fill an empty database with a few demo users, posts and votes, and print the logins."""
    from app.services import Conflict, demo

    with database() as (session, settings):
        try:
            result = demo.seed(session=session, settings=settings)
        except Conflict as exc:
            raise CommandError(exc.message) from None
    print(
        f"Demo data is ready: {len(result.logins)} users, {result.posts} posts, "
        f"{result.drafts} draft(s) and {result.votes} votes."
    )
    print("Log in with any of these (the passwords are random and shown only this once):")
    for login in result.logins:
        print(f"  {login.email:<22} {login.password:<20} {login.role}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the site for development (settings from the environment or .env)."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        reload=args.reload,
        log_level="info",
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description="Agora's command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="serve the site (development)", description=cmd_run.__doc__
    )
    run.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to listen on (default: PORT or 8000)")
    run.add_argument("--reload", action="store_true", help="restart when code changes")
    run.set_defaults(func=cmd_run)

    create_admin = commands.add_parser(
        "create-admin",
        help="create an administrator (or promote an existing user)",
        description=f"{cmd_create_admin.__doc__} The password is asked for twice, or read from "
        "standard input.",
    )
    create_admin.add_argument("--email", required=True, help="the administrator's email")
    create_admin.add_argument("--username", required=True, help="the administrator's username")
    create_admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of asking",
    )
    create_admin.set_defaults(func=cmd_create_admin)

    seed_demo = commands.add_parser(
        "seed-demo",
        help="fill an empty database with demo content",
        description=cmd_seed_demo.__doc__,
    )
    seed_demo.set_defaults(func=cmd_seed_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (CommandError, ConfigError) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
