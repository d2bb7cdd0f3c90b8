"""Demo content for a first look at a new site, created through the same services as the pages."""

import secrets
from dataclasses import dataclass

from sqlmodel import Session, func, select

from app.config import Settings
from app.models import User
from app.services import Conflict, admin, posts, users, votes

# (username, role) — emails are username@example.com, a domain reserved for examples.
PEOPLE = [("maya", "user"), ("theo", "user"), ("noor", "moderator")]
POSTS = [
    (
        "maya",
        "Hello, Agora!",
        "This is the very first post here. Say hi and vote if you like it.",
        True,
    ),
    (
        "theo",
        "Three small habits that made my week",
        "1. A ten-minute walk after lunch.\n2. Writing tomorrow's first task down tonight.\n"
        "3. Leaving the phone in another room while reading.",
        True,
    ),
    (
        "noor",
        "Welcome, and a word on kindness",
        "I help keep this place friendly. Disagree with ideas, not with people, and we will "
        "all have a good time.",
        True,
    ),
    ("maya", "Favourite bread recipe?", "Looking for something simple to bake on Sundays.", True),
    ("theo", "Notes for a post about trains", "Half-finished thoughts; not ready to share.", False),
]
VOTES = [
    ("theo", "Hello, Agora!"),
    ("noor", "Hello, Agora!"),
    ("maya", "Three small habits that made my week"),
    ("noor", "Three small habits that made my week"),
    ("maya", "Welcome, and a word on kindness"),
    ("theo", "Welcome, and a word on kindness"),
    ("noor", "Favourite bread recipe?"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    email: str
    password: str
    role: str


@dataclass(frozen=True)
class DemoResult:
    logins: list[DemoLogin]
    posts: int
    drafts: int
    votes: int


def seed(*, session: Session, settings: Settings) -> DemoResult:
    """Fill an empty database; refuses one that has any account, so real data is never mixed in."""
    existing = session.exec(select(func.count()).select_from(User)).one()
    if existing:
        raise Conflict(
            f"The database already has {existing} account(s); demo data only goes into an "
            "empty database."
        )
    people: dict[str, User] = {}
    logins = []
    for username, role in PEOPLE:
        # Random passwords: a demo database that ends up on the internet is not an open door.
        password = "demo-" + secrets.token_urlsafe(9)
        email = f"{username}@example.com"
        user = users.register(
            session=session,
            settings=settings,
            username=username,
            email=email,
            password=password,
            verified=True,
        )
        admin.set_role(session=session, actor=None, user=user, role=role)
        people[username] = user
        logins.append(DemoLogin(username, email, password, role))
    written = {}
    for author, title, content, published in POSTS:
        written[title] = posts.create(
            session=session, owner=people[author], title=title, content=content, published=published
        )
    for voter, title in VOTES:
        votes.add(session=session, post=written[title], user=people[voter])
    drafts = sum(1 for *_, published in POSTS if not published)
    return DemoResult(logins, posts=len(POSTS) - drafts, drafts=drafts, votes=len(VOTES))
