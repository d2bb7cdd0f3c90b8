"""Friendly demo content for screenshots, written through Agora's own services."""

from sqlmodel import Session

from app.config import Settings
from app.db import make_engine
from app.models import Post, User
from app.services import comments, posts, users, votes

PASSWORD = "demo passphrase, not a real one"

PEOPLE = ["maya", "tomas", "priya", "olu", "jun", "lena", "sam"]
# Quiet readers who only vote, so the counts look like a small, lively community.
READERS = [f"reader{n}" for n in range(1, 15)]

# (author, title, content, votes), oldest first.
POSTS = [
    (
        "jun",
        "Looking for a beginner-friendly hike near the lakes",
        "My cousin visits in two weeks and has never hiked. Something under 10 km, a view at "
        "the end, and ideally a café at the start. Suggestions very welcome!",
        4,
    ),
    (
        "olu",
        "Sunday bread report: the rye worked",
        "Third attempt at a 100% rye. The secret was less water than the recipe says and a "
        "much longer, cooler proof. Dense in the good way, great with butter and a little salt.",
        7,
    ),
    (
        "priya",
        "Name your branches after the question, not the answer",
        "Instead of fix-login-timeout, try why-does-login-time-out. It keeps you honest while "
        "you investigate, and reviewers see what you were trying to learn.",
        11,
    ),
    (
        "lena",
        "We built a tiny weather station with my daughter",
        "A temperature sensor, a cheap board and an old jam jar. She now reads the numbers "
        "out loud every morning at breakfast, and is furious when it is colder than yesterday.",
        9,
    ),
    (
        "tomas",
        "Our community garden finally has a tool library",
        "After two years of talking about it, the shed is up. Twenty-three tools, a clipboard, "
        "and a very strict rule about returning the good trowel.\n\n"
        "Open on Saturday mornings from nine. Bring a neighbour, take a rake, and stay for "
        "coffee if you like: someone always brings a flask.\n\n"
        "Thank you to everyone who donated, built, painted and argued about the colour of the "
        "door. (It is green. It was always going to be green.)",
        14,
    ),
    (
        "maya",
        "What small habit made your week better?",
        "Mine: leaving my phone in the other room for the first hour of the morning. I read "
        "twelve pages of a novel before breakfast and felt smug about it all day. Yours?",
        6,
    ),
]
FEATURED = "Our community garden finally has a tool library"


# A conversation under the featured post: (author, text, index of the comment it answers).
THREAD = [
    (
        "tomas",
        "This is great. Could we add a **sign-out sheet**, so we know who has the ladder?",
        None,
    ),
    ("maya", "Yes! I will print one this week and hang it by the shed door.", 0),
    ("priya", "A shared spreadsheet might be easier to keep up to date.", 1),
    ("maya", "True, but not everyone has a phone with them in the garden.", 2),
    ("olu", "I can donate a second wheelbarrow if there is room for it.", None),
    ("jun", "There is, next to the compost bins.", 4),
]


def seed(settings: Settings) -> dict[str, int]:
    """Create the demo people, posts and votes; returns post ids by title."""
    engine = make_engine(settings)
    ids: dict[str, int] = {}
    with Session(engine, expire_on_commit=False) as session:
        people: dict[str, User] = {}
        for name in PEOPLE + READERS:
            people[name] = users.register(
                session=session,
                settings=settings,
                username=name,
                email=f"{name}@example.com",
                password=PASSWORD,
            )
        voters = [people[name] for name in READERS + PEOPLE]
        for author, title, content, vote_count in POSTS:
            post: Post = posts.create(
                session=session, owner=people[author], title=title, content=content, published=True
            )
            for voter in [v for v in voters if v.username != author][:vote_count]:
                votes.add(session=session, post=post, user=voter)
            assert post.id is not None
            ids[title] = post.id
        featured = session.get(Post, ids[FEATURED])
        assert featured is not None
        written: list[int] = []
        for author, text, answers in THREAD:
            comment = comments.create(
                session=session,
                author=people[author],
                post=featured,
                content=text,
                parent_id=None if answers is None else written[answers],
            )
            assert comment.id is not None
            written.append(comment.id)
            for reader in [people[name] for name in READERS][: 5 - len(written)]:
                votes.add_for_comment(session=session, comment=comment, user=reader)
    engine.dispose()
    return ids
