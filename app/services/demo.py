"""Demo content for a first look at a new site, created through the same services as the pages.

It goes into a new site: one with no accounts, or only its administrators and moderators (the
README has you create yourself first). It refuses a site where people already signed up, so real
data is never mixed with made-up data, and refuses a second run (the demo people exist), so
nothing is ever added twice.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, func, or_, select, update

from app.config import Settings
from app.models import Comment, Post, PostTag, User
from app.services import Conflict, admin, comments, follows, posts, profile, users, votes
from app.services.demo_content import (
    COMMENTS,
    FEATURED,
    FOLLOWS_EACH,
    PEOPLE,
    POSTS,
    TAGS,
    THREAD,
)

__all__ = ["FEATURED", "DemoLogin", "DemoResult", "seed"]


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
    comments: int = 0
    follows: int = 0
    post_ids: dict[str, int] = field(default_factory=dict)


def _check_room(session: Session) -> None:
    """Refuse a site that already has the demo, or has people other than its staff."""
    names = [username for username, _, _ in PEOPLE]
    emails = [f"{name}@example.com" for name in names]
    present = session.exec(
        select(User.username).where(
            or_(col(User.username_key).in_(names), col(User.email).in_(emails))
        )
    ).all()
    if present:
        raise Conflict(
            f"The demo is already here ({', '.join(sorted(set(present)))} exist): "
            "demo data goes in once."
        )
    regular = session.exec(select(func.count()).where(User.role == "user")).one()
    if regular:
        raise Conflict(
            f"The database already has {regular} account(s) besides administrators and "
            "moderators; demo data only goes into a new site, never beside real people's."
        )


def seed(*, session: Session, settings: Settings, password: str | None = None) -> DemoResult:
    """Add the demo people (with bios), their posts, votes, follows and comments.

    Passwords are random unless `password` is given (the screenshots log in with a known one).
    """
    _check_room(session)
    people: dict[str, User] = {}
    logins = []
    for username, role, bio in PEOPLE:
        # Random passwords: a demo database that ends up on the internet is not an open door.
        secret = password or "demo-" + secrets.token_urlsafe(9)
        email = f"{username}@example.com"
        user = users.register(
            session=session,
            settings=settings,
            username=username,
            email=email,
            password=secret,
            verified=True,
        )
        if role != "user":
            admin.set_role(session=session, actor=None, user=user, role=role)
        profile.change_bio(session=session, user=user, bio=bio)
        people[username] = user
        logins.append(DemoLogin(username, email, secret, role))

    now = datetime.now(UTC)
    written: dict[str, Post] = {}
    cast = 0
    for author, title, content, hours_ago, vote_count, published in POSTS:
        post = posts.create(
            session=session,
            owner=people[author],
            title=title,
            content=content,
            published=published,
            tags=TAGS.get(title, ""),
        )
        # Spread over the last week, so the feed reads like a site in use.
        when = now - timedelta(hours=hours_ago)
        session.exec(
            update(Post)
            .where(col(Post.id) == post.id)
            .values(created_at=when, updated_at=when, published_at=when if published else None)
        )
        # Its tags' listings read the post's time from their own copy of it.
        session.exec(update(PostTag).where(col(PostTag.post_id) == post.id).values(created_at=when))
        session.commit()
        session.refresh(post)
        written[title] = post
        voters = [people[name] for name, _, _ in PEOPLE if name != author][:vote_count]
        for voter in voters if published else []:
            cast += votes.add(session=session, post=post, user=voter)

    followed = 0
    for i, (username, _, _) in enumerate(PEOPLE):
        for step in range(1, FOLLOWS_EACH + 1):
            other = PEOPLE[(i + step * 2 - 1) % len(PEOPLE)][0]
            if other != username:
                followed += follows.follow(
                    session=session, follower=people[username], followed=people[other]
                )

    said: list[Comment] = []
    featured = written[FEATURED]
    for author, text, answers in THREAD:
        comment = comments.create(
            session=session,
            author=people[author],
            post=featured,
            content=text,
            parent_id=None if answers is None else said[answers].id,
        )
        said.append(comment)
        for reader, _, _ in PEOPLE[-(5 - min(len(said), 4)) :]:
            if reader != author:
                votes.add_for_comment(session=session, comment=comment, user=people[reader])
    for title, author, text in COMMENTS:
        said.append(
            comments.create(
                session=session, author=people[author], post=written[title], content=text
            )
        )

    drafts = sum(1 for *_, published in POSTS if not published)
    return DemoResult(
        logins,
        posts=len(POSTS) - drafts,
        drafts=drafts,
        votes=cast,
        comments=len(said),
        follows=followed,
        post_ids={title: post.id for title, post in written.items() if post.id is not None},
    )
