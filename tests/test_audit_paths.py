"""Every moderator and administrator action leaves exactly one audit row, whichever way it came.

The services that change someone else's content or account take the actor as a required
argument and write the audit row themselves, so a page route and an API route for the same action
cannot differ. This test walks every such action through every surface that offers it.
"""

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from app.models import AuditLog
from tests.conftest import get_post, get_user, post_id_from, set_role


def audit_rows(db) -> list[tuple[str, str, int | None]]:  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.exec(select(AuditLog).order_by(AuditLog.id)).all()
    return [(row.action, row.actor_name, row.target_id) for row in rows]


def _page_delete(ctx: dict[str, Any]) -> int:
    post_id = ctx["post_id"]
    response = ctx["admin"].submit(f"/posts/{post_id}/delete", page=f"/posts/{post_id}")
    assert response.status_code == 303
    return post_id


def _api_delete(ctx: dict[str, Any]) -> int:
    post_id = ctx["post_id"]
    assert ctx["admin_api"].delete(f"/api/posts/{post_id}").status_code == 204
    return post_id


def _bulk(action: str) -> Callable[[dict[str, Any]], int]:
    def run(ctx: dict[str, Any]) -> int:
        post_id = ctx["post_id"]
        data = {"action": action, "ids": [post_id], "reason": "Spam"}
        response = ctx["admin"].submit("/admin/posts/apply", data, page="/admin/posts")
        assert response.status_code == 303
        return post_id

    return run


def _restore(ctx: dict[str, Any]) -> int:
    _bulk("hide")(ctx)
    ctx["before"] = len(audit_rows(ctx["db"]))
    post_id = ctx["post_id"]
    response = ctx["admin"].submit(f"/admin/posts/{post_id}/restore", page="/admin/posts")
    assert response.status_code == 303
    return post_id


def _user_action(path: str, data: dict[str, str] | None = None) -> Callable[[dict[str, Any]], int]:
    def run(ctx: dict[str, Any]) -> int:
        user_id = ctx["alice_id"]
        response = ctx["admin"].submit(f"/admin/users/{user_id}/{path}", data, page="/admin")
        assert response.status_code == 303
        return user_id

    return run


def _lift(ctx: dict[str, Any]) -> int:
    user_id = ctx["alice_id"]
    ctx["admin"].submit(f"/admin/users/{user_id}/suspend", {"duration": "forever"}, page="/admin")
    ctx["before"] = len(audit_rows(ctx["db"]))
    return _user_action("unsuspend")(ctx)


def _comment(ctx: dict[str, Any]) -> int:
    post_id = ctx["post_id"]
    response = ctx["alice"].submit(
        f"/posts/{post_id}/comments", {"content": "A comment"}, page=f"/posts/{post_id}"
    )
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("-", 1)[1])


def _page_remove_comment(ctx: dict[str, Any]) -> int:
    comment_id = _comment(ctx)
    ctx["before"] = len(audit_rows(ctx["db"]))
    response = ctx["admin"].submit(
        f"/comments/{comment_id}/remove", {"reason": "Off topic"}, page="/"
    )
    assert response.status_code == 303
    return comment_id


def _api_remove_comment(ctx: dict[str, Any]) -> int:
    comment_id = _comment(ctx)
    ctx["before"] = len(audit_rows(ctx["db"]))
    response = ctx["admin_api"].delete(f"/api/comments/{comment_id}", params={"reason": "Spam"})
    assert response.status_code == 204
    return comment_id


ACTIONS = {
    "page: delete a post from its page": ("post.delete", _page_delete),
    "api: DELETE /api/posts/{id}": ("post.delete", _api_delete),
    "page: bulk delete": ("post.delete", _bulk("delete")),
    "page: hide": ("post.hide", _bulk("hide")),
    "page: restore": ("post.restore", _restore),
    "page: change a role": ("user.role", _user_action("role", {"role": "moderator"})),
    "page: suspend": ("user.suspend", _user_action("suspend", {"duration": "7"})),
    "page: lift a suspension": ("user.unsuspend", _lift),
    "page: delete an account": ("user.delete", _user_action("delete")),
    "page: remove a comment": ("comment.remove", _page_remove_comment),
    "api: DELETE /api/comments/{id}?reason=": ("comment.remove", _api_remove_comment),
}


# Moderators act on posts; accounts are for administrators (refusals: test_admin_users).
CASES = [
    (surface, role)
    for surface, (action, _) in ACTIONS.items()
    for role in (("admin",) if action.startswith("user.") else ("moderator", "admin"))
]


@pytest.mark.parametrize(("surface", "role"), CASES)
def test_every_moderation_action_is_audited_once(surface, role, make_browser, make_api, alice, db):  # type: ignore[no-untyped-def]
    action, run = ACTIONS[surface]
    staff_api = make_api("root")
    set_role(db, "root", role)
    staff = make_browser()
    assert staff.login("root@example.com").status_code == 303
    ctx: dict[str, Any] = {
        "db": db,
        "alice": alice,
        "admin": staff,
        "admin_api": staff_api,
        "post_id": post_id_from(alice.create_post("Alice's news", "Big announcement")),
        "alice_id": get_user(db, "alice").id,
    }
    ctx["before"] = len(audit_rows(db))
    target = run(ctx)
    new = audit_rows(db)[ctx["before"] :]
    assert new == [(action, "root", target)]


def test_an_author_acting_on_their_own_post_is_not_moderation(alice, make_api, db):
    """Deleting one's own post, by page or API, writes no audit row."""
    alice_api = make_api().log_in("alice")
    first = post_id_from(alice.create_post("One", "text"))
    second = alice_api.create_post("Two")["id"]
    alice.submit(f"/posts/{first}/delete", page=f"/posts/{first}")
    assert alice_api.delete(f"/api/posts/{second}").status_code == 204
    assert get_post(db, first) is None and get_post(db, second) is None
    assert audit_rows(db) == []
