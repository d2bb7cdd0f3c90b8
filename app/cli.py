"""The `agora` console command (also `python -m app`)."""

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

Command = Callable[[argparse.Namespace], int]


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the site for development (settings from the environment or .env)."""
    import uvicorn

    from app.config import Settings

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


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending database migrations (safe to repeat; run it before starting a new release)."""
    from app import schema
    from app.config import Settings

    settings = Settings()
    schema.upgrade(settings.database_url)
    print(f"The database is up to date (revision {', '.join(schema.scripts().get_heads())}).")
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

    migrate = commands.add_parser(
        "migrate", help="apply pending database migrations", description=cmd_migrate.__doc__
    )
    migrate.set_defaults(func=cmd_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up chatter
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
