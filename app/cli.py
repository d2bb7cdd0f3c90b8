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


def cmd_seed(args: argparse.Namespace) -> int:
    """Fill the database with many users, posts and votes (for benchmarks and load tests)."""
    from app.config import Settings
    from app.db import create_tables, make_engine
    from app.seeding import SEED_PASSWORD, seed

    settings = Settings()
    engine = make_engine(settings)
    create_tables(engine)
    try:
        report = seed(
            engine,
            users=args.users,
            posts=args.posts,
            votes=args.votes,
            bcrypt_rounds=settings.bcrypt_rounds,
            seed=args.seed,
            progress=lambda msg: print(f"  seeded {msg}", flush=True),
        )
    except ValueError as exc:
        print(f"agora seed: {exc}", file=sys.stderr)
        return 2
    print(
        f"Seeded {report.users} users, {report.posts} posts and {report.votes} votes "
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

    run = commands.add_parser(
        "run", help="serve the site (development)", description=cmd_run.__doc__
    )
    run.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to listen on (default: PORT or 8000)")
    run.add_argument("--reload", action="store_true", help="restart when code changes")
    run.set_defaults(func=cmd_run)

    seed = commands.add_parser(
        "seed", help="bulk-fill the database for benchmarks", description=cmd_seed.__doc__
    )
    seed.add_argument("--users", type=_count, default=1000, help="users to add (default 1000)")
    seed.add_argument("--posts", type=_count, default=100_000, help="posts to add (default 100000)")
    seed.add_argument("--votes", type=_count, default=300_000, help="votes to add (default 300000)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    seed.set_defaults(func=cmd_seed)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
