"""An account looked after by its owner: name and email, deletion, and a copy of their data."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import BIO_MAX, Comment, Dismissal, Follow, Post, Tag, TagFollow, User, Vote
from app.services import (
    ValidationFailed,
    accounts,
    blocks,
    bookmarks,
    changes,
    notifications,
    tags,
    users,
)


def change_identity(
    *,
    session: Session,
    settings: Settings,
    user: User,
    username: str,
    email: str,
    password: str,
    ip: str,
) -> list[str]:
    """Change the username after checking the current password, and ask for a new email
    address to be confirmed: returns what changed or, for "email", what awaits confirmation.

    The address itself changes only when the link mailed to it is used (accounts.confirm_email);
    the old address gets a notice.
    """
    clean, errors = users.clean_identity(username, email)
    try:
        users.confirm_password(
            session=session, settings=settings, user=user, password=password, ip=ip
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not errors:
        errors = users.taken(session, clean["username"], clean["email"], exclude_id=user.id)
    if errors:
        raise ValidationFailed(errors)

    changed = [
        name
        for name, old in (("username", user.username), ("email", user.email))
        if clean[name] != old
    ]
    if not changed:
        return []
    user.username, user.username_key = clean["username"], clean["username"].lower()
    session.add(user)
    changes.bump(session, changes.SITE, changes.user(user.id))  # the name shows everywhere
    if "email" in changed:
        accounts.request_email_change(
            session=session, settings=settings, user=user, email=clean["email"]
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"username": "That username or email was just taken."}) from None
    session.refresh(user)
    return changed


def change_bio(*, session: Session, user: User, bio: str) -> bool:
    """Set the line about `user` shown on their profile; returns whether it changed."""
    clean = " ".join(bio.split())
    if len(clean) > BIO_MAX:
        raise ValidationFailed({"bio": f"Keep it to {BIO_MAX} characters (this is {len(clean)})."})
    if clean == user.bio:
        return False
    user.bio = clean
    session.add(user)
    # The profile's validator, and the site's: the line shows in lists of people too.
    changes.bump(session, changes.SITE, changes.user(user.id))
    session.commit()
    return True


def export(*, session: Session, user: User) -> dict[str, Any]:
    """Everything Agora keeps about `user` that they may see, as plain JSON-ready data."""
    user_id = user.id
    assert user_id is not None
    own_posts = session.exec(
        select(Post).where(Post.owner_id == user.id).order_by(col(Post.created_at), col(Post.id))
    ).all()
    votes = session.exec(
        select(Vote, Post)
        .join(Post, col(Post.id) == Vote.post_id)
        .where(Vote.user_id == user.id)
        .order_by(col(Vote.created_at))
    ).all()
    written = session.exec(
        select(Comment)
        .where(Comment.author_id == user.id)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()
    # As the public lists show them: an account that is gone or suspended is in neither.
    following = session.exec(
        select(Follow, User)
        .join(User, col(User.id) == Follow.followed_id)
        .where(Follow.follower_id == user.id, users.AVAILABLE)
        .order_by(col(Follow.created_at))
    ).all()
    followers = session.exec(
        select(Follow, User)
        .join(User, col(User.id) == Follow.follower_id)
        .where(Follow.followed_id == user.id, users.AVAILABLE)
        .order_by(col(Follow.created_at))
    ).all()
    followed_tags = session.exec(
        select(col(Tag.name))
        .join(TagFollow, col(TagFollow.tag_id) == Tag.id)
        .where(TagFollow.user_id == user.id)
        .order_by(col(Tag.name))
    ).all()
    dismissed = session.exec(
        select(Dismissal).where(Dismissal.user_id == user.id).order_by(col(Dismissal.created_at))
    ).all()
    return {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": {
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "role": user.role,
            "bio": user.bio,
            "joined_at": user.created_at.isoformat(timespec="seconds"),
        },
        "following": [
            {"username": other.username, "since": follow.created_at.isoformat(timespec="seconds")}
            for follow, other in following
        ],
        "followers": [
            {"username": other.username, "since": follow.created_at.isoformat(timespec="seconds")}
            for follow, other in followers
        ],
        "posts": [
            {
                "id": post.id,
                "title": post.title,
                "content": post.content,
                "published": post.published,
                "votes": post.vote_count,
                "tags": tags.names_of(post.id, session),
                "created_at": post.created_at.isoformat(timespec="seconds"),
                "updated_at": post.updated_at.isoformat(timespec="seconds"),
            }
            for post in own_posts
        ],
        "votes": [
            {
                "post_id": post.id,
                # Someone else's post that has since become a draft is theirs again: no title.
                "post_title": post.title if post.published or post.owner_id == user.id else None,
                "voted_at": vote.created_at.isoformat(timespec="seconds"),
            }
            for vote, post in votes
        ],
        "comments": [
            {
                "id": comment.id,
                "post_id": comment.post_id,
                "parent_id": comment.parent_id,
                "content": comment.content,
                "removed_reason": comment.removed_reason,
                "votes": comment.vote_count,
                "created_at": comment.created_at.isoformat(timespec="seconds"),
                "updated_at": comment.updated_at.isoformat(timespec="seconds"),
            }
            for comment in written
        ],
        "notification_settings": notifications.settings(session=session, user_id=user_id),
        "bookmarks": bookmarks.exported(session=session, user=user),
        "followed_tags": list(followed_tags),
        "filtered_tags": tags.filtered(session=session, user=user),
        "dismissed_posts": [
            {"post_id": row.post_id, "dismissed_at": row.created_at.isoformat(timespec="seconds")}
            for row in dismissed
        ],
        "muted_and_blocked": blocks.export(session=session, user=user),
    }
