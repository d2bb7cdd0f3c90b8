"""The audit log: what admins and moderators did, written in the same transaction as the deed."""

import json
from typing import Any

from sqlmodel import Session

from app.models import AuditLog, Comment, Post, Tag, User

# Every action the log knows, with the words the audit page shows for it.
ACTIONS = {
    "user.create": "created user",
    "user.role": "changed role",
    "user.suspend": "suspended user",
    "user.unsuspend": "lifted suspension",
    "user.warn": "warned user",
    # Kept for entries written before suspension replaced deactivation.
    "user.deactivate": "deactivated user",
    "user.reactivate": "reactivated user",
    "user.delete": "deleted user",
    "user.reset_link": "sent a password reset link",
    # Kept for entries written before posts had a hidden state (unpublishing was hiding).
    "post.unpublish": "unpublished post",
    "post.hide": "hid post",
    "post.restore": "restored post",
    "post.delete": "deleted post",
    "post.pend": "set aside post for review",
    "comment.remove": "removed comment",
    "comment.pend": "set aside comment for review",
    "report.resolve": "resolved reports",
    "tag.describe": "described tag",
    "tag.rename": "renamed tag",
    "tag.merge": "merged tag",
}
CONSOLE = "console"  # the actor name for changes made with the `agora` command
SYSTEM = "system"  # the actor name for what the site does by itself (a suspension running out)


def user_values(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
    }


def post_values(post: Post) -> dict[str, Any]:
    return {
        "title": post.title,
        "published": post.published,
        "owner_id": post.owner_id,
        "vote_count": post.vote_count,
    }


def comment_values(comment: Comment) -> dict[str, Any]:
    return {
        "post_id": comment.post_id,
        "author_id": comment.author_id,
        "content": comment.content,
        "vote_count": comment.vote_count,
    }


def _label(target: User | Post | Comment | Tag) -> tuple[str, str]:
    """The target's type and the words that name it in the log."""
    if isinstance(target, User):
        return "user", target.username
    if isinstance(target, Post):
        return "post", target.title
    if isinstance(target, Tag):
        return "tag", target.name
    return "comment", " ".join(target.content.split())


def _json(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, sort_keys=True, default=str)


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    target: User | Post | Comment | Tag,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    system: bool = False,
) -> AuditLog:
    """Add an entry to `session`; the caller's commit stores it together with the change.

    `actor` None means the change came from the command line, or with `system` from the site
    itself (members' reports, a suspension's end).
    """
    assert action in ACTIONS, action
    target_type, label = _label(target)
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else SYSTEM if system else CONSOLE,
        action=action,
        target_type=target_type,
        target_id=target.id,
        target_label=label[:200],
        before=_json(before),
        after=_json(after),
    )
    session.add(entry)
    return entry
