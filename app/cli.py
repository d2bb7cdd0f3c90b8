"""The `agora` console command (also `python -m app`)."""

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.config import ConfigError, Settings

Command = Callable[[argparse.Namespace], int]
APP_FACTORY = "app.main:create_app"


def server_options(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn options shared by both servers: address, our JSON logs, and no access log (the
    request-log middleware writes one line per request, with its id)."""
    from app.logs import log_config

    return {
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "log_config": log_config(),
        "access_log": False,
        "server_header": False,
    }


def production_options(settings: Settings) -> dict[str, Any]:
    """What makes `agora serve` the production server."""
    return {
        "workers": settings.web_concurrency,
        "reload": False,
        # Scheme and client address come from X-Forwarded-* only when the proxy is trusted:
        # that is what turns on Secure cookies and HSTS behind an HTTPS proxy.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips or ",".join(settings.trusted_proxies),
        # SIGTERM: stop accepting, let requests in flight finish, but not forever.
        "timeout_graceful_shutdown": 30,
        # A worker still starting up on a busy machine is slow, not dead: don't kill it at 5 s.
        "timeout_worker_healthcheck": 30,
    }


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the site for development (settings from the environment or .env)."""
    import uvicorn

    settings = Settings()
    uvicorn.run(APP_FACTORY, factory=True, reload=args.reload, **server_options(settings, args))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the site in production: ENV=production, WEB_CONCURRENCY workers, trusted proxies."""
    import uvicorn

    # Set before the settings load so the production checks apply, and inherited by the workers.
    os.environ["ENV"] = "production"
    settings = Settings()
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

    settings = Settings()
    schema.upgrade(settings.database_url)
    print(f"The database is up to date (revision {', '.join(schema.scripts().get_heads())}).")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database to PATH, consistently, while the site keeps serving."""
    from app.backup import backup_sqlite

    url = make_url(Settings().database_url)
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


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: PORT or 8000)")


def cmd_seed(args: argparse.Namespace) -> int:
    """Fill the database with many users, posts and votes (for benchmarks and load tests)."""
    from app import schema
    from app.db import make_engine
    from app.seeding import SEED_PASSWORD, seed

    settings = Settings()
    schema.upgrade(settings.database_url)
    engine = make_engine(settings)
    try:
        report = seed(
            engine,
            users=args.users,
            posts=args.posts,
            votes=args.votes,
            follows=args.follows,
            bcrypt_rounds=settings.bcrypt_rounds,
            seed=args.seed,
            progress=lambda msg: print(f"  seeded {msg}", flush=True),
        )
    except ValueError as exc:
        print(f"agora seed: {exc}", file=sys.stderr)
        return 2
    print(
        f"Seeded {report.users} users, {report.posts} posts, {report.votes} votes and "
        f"{report.follows} follows "
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
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    _add_address(add("serve", cmd_serve, "serve the site (production, several workers)"))
    add("migrate", cmd_migrate, "apply pending database migrations")
    backup = add("backup", cmd_backup, "copy the SQLite database while the site serves")
    backup.add_argument("path", help="file to write the copy to (replaced if it exists)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up chatter
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"agora: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
