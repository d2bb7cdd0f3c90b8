"""The `agora` console command (also `python -m app`).

Over 300 lines on purpose: one thin handler per subcommand beside the parser that names them all.
"""

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from app.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:  # the database stack loads only for the commands that use it
    from sqlmodel import Session

Command = Callable[[argparse.Namespace], int]
APP_FACTORY = "app.main:create_app"


def server_options(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn options shared by both servers: address, bounded request heads, our JSON logs,
    and no access log (the request-log middleware writes one line per request, with its id)."""
    from app.logs import log_config
    from app.serving import BoundedHead

    return {
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        # uvloop, in processes that stop when their master dies (workers, the reloader's child).
        "loop": "app.serving:worker_loop",
        # uvicorn's httptools protocol with a size and a time limit on each request's head
        # (uvicorn has neither for httptools): safe without a proxy in front.
        "http": partial(
            BoundedHead,
            max_head_bytes=settings.max_header_bytes,
            head_timeout=settings.head_timeout,
        ),
        "log_config": log_config(),
        "access_log": False,
        "server_header": False,
        # Scheme and client address come from X-Forwarded-* only when the proxy is trusted:
        # that is what turns on Secure cookies and HSTS behind an HTTPS proxy. Both servers
        # believe the same peers the app does when it picks the client IP for throttling.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips or ",".join(settings.trusted_proxies),
    }


def production_options(settings: Settings) -> dict[str, Any]:
    """What makes `agora serve` the production server."""
    return {
        "workers": settings.web_concurrency,
        "reload": False,
        # SIGTERM: stop accepting, let requests in flight finish, but not forever.
        "timeout_graceful_shutdown": 30,
        # A worker still starting up on a busy machine is slow, not dead: don't kill it at 5 s.
        "timeout_worker_healthcheck": 30,
    }


class CommandError(Exception):
    """Bad input for a command: printed as one line, and the command exits with status 1."""


@contextmanager
def database() -> Iterator[tuple["Session", Settings]]:
    """A session on the configured database (migrated to the current schema), with its settings."""
    from sqlmodel import Session

    from app import schema
    from app.db import make_engine

    settings = Settings()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # quiet unless something is wrong
    schema.upgrade(settings.database_url)
    engine = make_engine(settings)
    try:
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
    from app.models import utcnow
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
            if existing.email_verified_at is None:  # the operator vouches for the address
                existing.email_verified_at = utcnow()
                session.add(existing)
                session.commit()
            promoted = admin.set_role(session=session, actor=None, user=existing, role="admin")
            revived = admin.lift(session=session, actor=None, user=existing)
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
                verified=True,  # the operator typed it at the console
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
    """Fill a new site with demo content, and print the logins. A new site is an empty database,
    or one whose only accounts are administrators and moderators (create-admin first is fine)."""
    from app.services import Conflict, demo

    with database() as (session, settings):
        try:
            result = demo.seed(session=session, settings=settings)
        except Conflict as exc:
            raise CommandError(exc.message) from None
    print(
        f"Demo data is ready: {len(result.logins)} users, {result.posts} posts, "
        f"{result.drafts} draft(s), {result.votes} votes, {result.follows} follows and "
        f"{result.comments} comments."
    )
    print("Log in with any of these (the passwords are random and shown only this once):")
    for login in result.logins:
        print(f"  {login.email:<22} {login.password:<20} {login.role}")
    return 0


def run_banner(settings: Settings, options: dict[str, Any]) -> list[str]:
    """What `agora run` says before serving: where to open the site, and where things go.

    The one place for such lines, so a new one (say, where development mail is written) is
    one more item here.
    """
    host = options["host"]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    if ":" in shown:
        shown = f"[{shown}]"
    lines = [
        f"agora: open http://{shown}:{options['port']} in your browser (Ctrl+C stops the server)",
    ]
    if outbox_mode(settings) == "files":
        lines.append(
            f"agora: mail is not sent (no SMTP_HOST): each message is written to "
            f"{settings.mail_dir}/ as a .eml file"
        )
    return lines


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the site for development (settings from the environment or .env)."""
    import uvicorn

    settings = load_settings()
    os.environ["MAIL_WORKER"] = "1"  # this server delivers the outbox (each process it starts)
    options = server_options(settings, args)
    if not settings.site_url:
        # Development links point at the address this server really listens on.
        os.environ["SITE_URL"] = f"http://{options['host']}:{options['port']}"
    for line in run_banner(settings, options):
        print(line, flush=True)
    uvicorn.run(APP_FACTORY, factory=True, reload=args.reload, **options)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the site in production: ENV=production, WEB_CONCURRENCY workers, trusted proxies."""
    import uvicorn

    # Set before the settings load so the production checks apply, and inherited by the workers.
    os.environ["ENV"] = "production"
    os.environ["MAIL_WORKER"] = "1"  # each worker process delivers the outbox
    settings = load_settings()
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        **server_options(settings, args),
        **production_options(settings),
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending database migrations (safe to repeat; run it before starting a new release)."""
    from app import schema

    settings = load_settings()
    schema.upgrade(settings.database_url)
    print(f"The database is up to date (revision {', '.join(schema.scripts().get_heads())}).")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database to PATH, consistently, while the site keeps serving."""
    from app.backup import backup_sqlite

    url = make_url(load_settings().database_url)
    if url.get_backend_name() != "sqlite":
        libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=True)
        print(
            "agora backup copies SQLite databases. For PostgreSQL use pg_dump, for example:\n"
            f"  pg_dump --format=custom --file={args.path} '{libpq_url}'\n"
            "(with the password in PGPASSWORD or ~/.pgpass), and pg_restore to bring it back.",
            file=sys.stderr,
        )
        return 2
    if not url.database or url.database == ":memory:":
        print("agora backup needs a database file; DATABASE_URL has none.", file=sys.stderr)
        return 2
    try:
        size = backup_sqlite(Path(url.database), Path(args.path))
    except (OSError, ValueError) as exc:
        print(f"agora backup: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up {url.database} to {args.path} ({size / 1e6:.1f} MB).")
    return 0


def outbox_mode(settings: Settings) -> str:
    from app.services import outbox

    return outbox.mode(settings)


def cmd_mail_status(args: argparse.Namespace) -> int:
    """Show the mail queue: how many messages wait, failed for good, or were sent."""
    from app.services import outbox

    with database() as (session, settings):
        state = outbox.status(session, settings)
        failed = outbox.failures(session)
    where = {
        "smtp": f"sent through {settings.smtp_host}:{settings.smtp_port_effective}",
        "files": f"written to {settings.mail_dir}/ (no SMTP_HOST)",
        "held": "NOT SENT: SMTP_HOST is not set, mail stays queued",
    }[state.mode]
    print(f"Mail is {where}.")
    oldest = (
        f" (oldest from {state.oldest_queued:%Y-%m-%d %H:%M} UTC)" if state.oldest_queued else ""
    )
    print(f"  queued: {state.queued}{oldest}\n  failed: {state.failed}\n  sent:   {state.sent}")
    for row in failed:
        print(
            f"  failed #{row.id} to {row.to_address} ({row.kind}, {row.attempts} tries): "
            f"{row.last_error}"
        )
    return 0


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: PORT or 8000)")


def cmd_seed(args: argparse.Namespace) -> int:
    """Fill the database with many users, posts and votes (for benchmarks and load tests)."""
    from app import schema
    from app.db import make_engine
    from app.seeding import SEED_PASSWORD, seed

    settings = load_settings()
    schema.upgrade(settings.database_url)
    engine = make_engine(settings)
    try:
        report = seed(
            engine,
            users=args.users,
            posts=args.posts,
            votes=args.votes,
            follows=args.follows,
            tags=args.tags,
            comments=args.comments,
            bcrypt_rounds=settings.bcrypt_rounds,
            seed=args.seed,
            progress=lambda msg: print(f"  seeded {msg}", flush=True),
        )
    except ValueError as exc:
        print(f"agora seed: {exc}", file=sys.stderr)
        return 2
    print(
        f"Seeded {report.users} users, {report.posts} posts, {report.votes} votes and "
        f"{report.follows} follows ({report.tags} tags, {report.comments} comments) "
        f"in {report.seconds:.1f} s. Every seeded user's password is {SEED_PASSWORD!r}."
    )
    return 0


def _count(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 10_000_000:
        raise argparse.ArgumentTypeError("use a number from 0 to 10,000,000")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description="Agora's command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=func.__doc__)
        sub.set_defaults(func=func)
        return sub

    run = add("run", cmd_run, "serve the site (development)")
    _add_address(run)
    run.add_argument("--reload", action="store_true", help="restart when code changes")
    seed = add("seed", cmd_seed, "bulk-fill the database for benchmarks")
    seed.add_argument("--users", type=_count, default=1000, help="users to add (default 1000)")
    seed.add_argument("--posts", type=_count, default=100_000, help="posts to add (default 100000)")
    seed.add_argument("--votes", type=_count, default=300_000, help="votes to add (default 300000)")
    seed.add_argument("--follows", type=_count, default=0, help="follows to add (default 0)")
    seed.add_argument("--tags", type=_count, default=0, help="tags to add (default 0)")
    seed.add_argument("--comments", type=_count, default=0, help="comments to add (default 0)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    _add_address(add("serve", cmd_serve, "serve the site (production, several workers)"))
    add("migrate", cmd_migrate, "apply pending database migrations")
    backup = add("backup", cmd_backup, "copy the SQLite database while the site serves")
    backup.add_argument("path", help="file to write the copy to (replaced if it exists)")
    create_admin = add(
        "create-admin", cmd_create_admin, "create an administrator (or promote an existing user)"
    )
    create_admin.description = (
        f"{cmd_create_admin.__doc__} The password is asked for twice, or read from standard input."
    )
    create_admin.add_argument("--email", required=True, help="the administrator's email")
    create_admin.add_argument("--username", required=True, help="the administrator's username")
    create_admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of asking",
    )
    add(
        "seed-demo",
        cmd_seed_demo,
        "fill a new site with demo content: an empty database, or one with only "
        "administrators and moderators",
    )
    mail = commands.add_parser("mail", help="the mail queue", description="The mail queue.")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True, metavar="COMMAND")
    mail_status = mail_commands.add_parser(
        "status", help="show the queue", description=cmd_mail_status.__doc__
    )
    mail_status.set_defaults(func=cmd_mail_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up chatter
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"agora: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
