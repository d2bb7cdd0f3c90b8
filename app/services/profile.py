"""An account looked after by its owner: name and email, deletion, and a copy of their data."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import Comment, Post, User, Vote
from app.services import ValidationFailed, accounts, users


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


def export(*, session: Session, user: User) -> dict[str, Any]:
    """Everything Agora keeps about `user` that they may see, as plain JSON-ready data."""
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
    return {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": {
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "role": user.role,
            "joined_at": user.created_at.isoformat(timespec="seconds"),
        },
        "posts": [
            {
                "id": post.id,
                "title": post.title,
                "content": post.content,
                "published": post.published,
                "votes": post.vote_count,
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
    }
