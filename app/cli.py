"""The `agora` console command (also `python -m app`)."""

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

Command = Callable[[argparse.Namespace], int]


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the site for development (settings from the environment or .env)."""
    import uvicorn

    from app.config import load_settings

    settings = load_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        reload=args.reload,
        log_level="info",
        # Believe X-Forwarded-For/-Proto from the same peers the app trusts, and no others.
        forwarded_allow_ips=settings.trusted_proxies,
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    from app.config import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"Agora cannot start: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
