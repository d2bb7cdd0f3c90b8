"""Bulk data for benchmarks and load tests: many users, posts and votes, inserted fast.

Rows go in through the models' own tables with multi-row INSERTs in large transactions, and every
user shares one password hash computed once, so a million posts take minutes, not hours.
"""

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from app.models import Comment, Follow, Post, PostTag, Tag, User, Vote
from app.rendering import shorten
from app.security import hash_password
from app.services import changes, tag_counts

SEED_PASSWORD = "benchmark password"  # noqa: S105 - documented, for throwaway data
BATCH = 5_000
WORDS = (
    "agora",
    "forum",
    "idea",
    "vote",
    "post",
    "draft",
    "garden",
    "river",
    "coffee",
    "tea",
    "morning",
    "evening",
    "city",
    "street",
    "music",
    "book",
    "code",
    "python",
    "fast",
    "slow",
    "light",
    "dark",
    "open",
    "question",
    "answer",
    "share",
    "think",
    "write",
    "read",
    "learn",
    "build",
    "small",
    "large",
    "quiet",
    "loud",
    "bright",
    "simple",
    "careful",
    "honest",
    "friendly",
)
# Characters that must be escaped in HTML, so the benchmark pays for escaping like real pages do.
SPICE = ("<b>", "&", '"quoted"', "'single'", "<script>", "a > b", "x < y")


@dataclass
class SeedReport:
    users: int
    posts: int
    votes: int
    seconds: float
    follows: int = 0
    tags: int = 0
    comments: int = 0


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _content(rng: random.Random) -> str:
    text = _sentence(rng, 44) + " " + rng.choice(SPICE) + " " + _sentence(rng, 8)
    return text[:300]


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _claim_ids(conn: Connection, table: type[User] | type[Post] | type[Comment], count: int) -> int:
    """The first of `count` ids for rows inserted with explicit ids.

    Past every id the table ever handed out, deleted rows' too (ids are never reused); on
    PostgreSQL the range is taken from the table's sequence, so the site's next insert neither
    collides with it nor goes back below it.
    """
    top = conn.execute(select(func.max(table.id))).scalar() or 0
    if conn.dialect.name == "postgresql":
        name = conn.dialect.identifier_preparer.quote(str(table.__tablename__))
        sequence = conn.execute(select(func.pg_get_serial_sequence(name, "id"))).scalar_one()
        used = conn.execute(
            text("SELECT COALESCE(pg_sequence_last_value(CAST(:seq AS regclass)), 0)"),
            {"seq": sequence},
        ).scalar_one()
        first = max(top, used) + 1
        if count:
            conn.execute(select(func.setval(sequence, first + count - 1)))
        return int(first)
    used = conn.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table.__tablename__}
    ).scalar()
    return int(max(top, used or 0)) + 1


def seed(
    engine: Engine,
    *,
    users: int,
    posts: int,
    votes: int,
    follows: int = 0,
    tags: int = 0,
    comments: int = 0,
    seed: int = 42,
    bcrypt_rounds: int = 4,
    progress: Callable[[str], None] = lambda _msg: None,
) -> SeedReport:
    """Add `users` users, `posts` posts spread over the last year, `votes` distinct votes and
    `follows` distinct follows between the new users; with `tags`, that many new tags, each post
    carrying 1 to 3 of them, the low-numbered ones far more used than the rest (as on real sites,
    a few tags are on a large share of the posts); with `comments`, that many top-level comments
    by the new users on the new public posts, counted in each post's `comment_count`."""
    if votes > users * max(posts, 1):
        raise ValueError("more votes than (user, post) pairs")
    if follows > users * (users - 1):
        raise ValueError("more follows than pairs of different users")
    rng = random.Random(seed)  # noqa: S311 - repeatable fake data, not secrets
    started = time.perf_counter()
    password_hash = hash_password(SEED_PASSWORD, bcrypt_rounds)
    now = datetime.now(UTC)

    with engine.begin() as conn:
        first_user = _claim_ids(conn, User, users)
        first_post = _claim_ids(conn, Post, posts)
        tag = first_user  # keeps usernames unique when seeding a database twice

        def user_rows() -> Iterator[dict[str, Any]]:
            for i in range(users):
                name = f"user{tag}_{i}"
                yield {
                    "id": first_user + i,
                    "username": name,
                    "username_key": name,
                    "email": f"{name}@example.com",
                    "password_hash": password_hash,
                    "role": "user",
                    "is_active": True,
                    "created_at": now - timedelta(days=400, minutes=i),
                    "email_verified_at": now - timedelta(days=400, minutes=i),
                }

        for chunk in _chunks(user_rows(), BATCH):
            conn.execute(insert(User), chunk)
        progress(f"{users} users")

        # Votes first, so each post is inserted with its final vote_count.
        counts = [0] * posts
        vote_pairs: set[tuple[int, int]] = set()
        while len(vote_pairs) < votes:
            pair = (rng.randrange(users), rng.randrange(posts))
            if pair not in vote_pairs:
                vote_pairs.add(pair)
                counts[pair[1]] += 1

        span = timedelta(days=365).total_seconds()
        dates: list[datetime] = []  # each post's, for its tags and comments (kept if needed)
        public: list[int] = []  # the indexes of the public posts, for comments

        def post_rows() -> Iterator[dict[str, Any]]:
            for i in range(posts):
                # Older ids get older dates, like a real site, with a little jitter.
                created = now - timedelta(seconds=span * (1 - i / max(posts, 1)) + rng.random())
                content = _content(rng)
                title = _sentence(rng, rng.randint(3, 9)).capitalize()
                published = rng.random() > 0.05  # drawn in the order they always were
                if tags or comments:
                    dates.append(created)
                if comments and published:
                    public.append(i)
                yield {
                    "id": first_post + i,
                    "title": title,
                    "content": content,
                    # Seeded text has no Markdown syntax, so its plain text is itself (a test
                    # checks this agrees with rendering.excerpt; docs/performance.md says why).
                    "excerpt": shorten(" ".join(content.split())),
                    "published": published,
                    "vote_count": counts[i],
                    "created_at": created,
                    "updated_at": created,
                    "owner_id": first_user + rng.randrange(users),
                }

        for chunk in _chunks(post_rows(), BATCH):
            conn.execute(insert(Post), chunk)
        progress(f"{posts} posts")

        def vote_rows() -> Iterator[dict[str, Any]]:
            for user_index, post_index in vote_pairs:
                yield {
                    "user_id": first_user + user_index,
                    "post_id": first_post + post_index,
                    "created_at": now,
                }

        for chunk in _chunks(vote_rows(), BATCH):
            conn.execute(insert(Vote), chunk)
        progress(f"{votes} votes")

        follow_pairs: set[tuple[int, int]] = set()
        while len(follow_pairs) < follows:
            follower, followed = rng.randrange(users), rng.randrange(users)
            if follower != followed:
                follow_pairs.add((follower, followed))
        follow_rows = (
            {"follower_id": first_user + a, "followed_id": first_user + b, "created_at": now}
            for a, b in follow_pairs
        )
        for chunk in _chunks(follow_rows, BATCH):
            conn.execute(insert(Follow), chunk)
        progress(f"{follows} follows")

        if tags:
            _seed_tags(conn, rng, tags, first_post, dates, tag, now)
            progress(f"{tags} tags")

        if comments and public:
            first = _claim_ids(conn, Comment, comments)
            on = [public[rng.randrange(len(public))] for _ in range(comments)]

            def comment_rows() -> Iterator[dict[str, Any]]:
                for n, post_index in enumerate(on):
                    later = dates[post_index] + timedelta(minutes=1 + rng.randrange(600))
                    created = min(later, now)
                    yield {
                        "id": first + n,
                        "root_id": first + n,
                        "post_id": first_post + post_index,
                        "author_id": first_user + rng.randrange(users),
                        "content": _sentence(rng, rng.randint(5, 30)),
                        "created_at": created,
                        "updated_at": created,
                    }

            for chunk in _chunks(comment_rows(), BATCH):
                conn.execute(insert(Comment), chunk)
            per_post: dict[int, int] = {}
            for post_index in on:
                per_post[first_post + post_index] = per_post.get(first_post + post_index, 0) + 1
            by_count: dict[int, list[int]] = {}
            for post_id, n in per_post.items():
                by_count.setdefault(n, []).append(post_id)
            for n, ids in by_count.items():  # one UPDATE per distinct count, not per post
                for part in range(0, len(ids), 900):
                    conn.execute(
                        update(Post)
                        .where(col(Post.id).in_(ids[part : part + 900]))
                        .values(comment_count=Post.comment_count + n)
                    )
            progress(f"{comments} comments")

    with Session(engine) as session:  # what every public page shows has changed
        changes.bump(session, changes.SITE)
        session.commit()
    return SeedReport(users, posts, votes, time.perf_counter() - started, follows, tags, comments)


def _seed_tags(
    conn: Connection,
    rng: random.Random,
    tags: int,
    first_post: int,
    dates: list[datetime],
    run: int,
    now: datetime,
) -> None:
    """`tags` tags on the posts from `first_post` on (created at `dates`), with their stored
    public counts."""
    top = conn.execute(select(func.max(col(Tag.id)))).scalar() or 0
    ids = range(top + 1, top + 1 + tags)
    conn.execute(
        insert(Tag),
        [{"id": i, "name": f"t{run}-{n}", "created_at": now} for n, i in enumerate(ids)],
    )

    def link_rows() -> Iterator[dict[str, Any]]:
        for post_id, created in enumerate(dates, first_post):
            # Squaring the draw makes the first tag the most used (1% of the links: 20k posts
            # at 1M), like a site's few big topics, and leaves the median tag on ~0.007%.
            chosen = {ids[int(tags * rng.random() ** 2)] for _ in range(rng.randint(1, 3))}
            for tag_id in chosen:
                yield {"post_id": post_id, "tag_id": tag_id, "created_at": created}

    for chunk in _chunks(link_rows(), BATCH):
        conn.execute(insert(PostTag), chunk)
    # The stored counts, from the links just written: seeded authors are all available.
    with Session(bind=conn) as session:
        mine = select(col(Post.id)).where(col(Post.id) >= first_post, col(Post.published).is_(True))
        tag_counts.count_public(session, mine, 1)
