"""What admins do to accounts: detail page, role, suspension, deletion, and the guard rails."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from app.models import AuditLog, AuthSession, Post, User, Vote
from app.services import Forbidden, users
from app.services import admin as admin_service
from tests.conftest import PASSWORD, get_post, get_user, post_id_from, set_role


def audit_entries(db, action=None):  # type: ignore[no-untyped-def]
    db.expire_all()
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return list(db.exec(stmt))


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_user_detail_shows_account_and_posts_but_no_draft_titles(admin, alice, db):
    alice.create_post("Out in the open")
    alice.create_post("Kept private", published=False)
    page = admin.get(f"/admin/users/{get_user(db, 'alice').id}").text
    assert "alice@example.com" in page
    assert "Out in the open" in page and "Kept private" not in page
    assert "Change role" in page and "Suspend and log out" in page
    assert admin.get("/admin/users/999").status_code == 404
    assert admin.get(f"/admin/users/{2**63}").status_code == 400


def test_change_role_is_saved_flashed_and_audited(admin, alice, db):
    alice_id = get_user(db, "alice").id
    response = admin.submit(f"/admin/users/{alice_id}/role", {"role": "moderator"}, page="/admin")
    assert (
        response.status_code == 303 and response.headers["location"] == f"/admin/users/{alice_id}"
    )
    assert "alice is now a moderator." in admin.get(response.headers["location"]).text
    assert get_user(db, "alice").role == "moderator"
    [entry] = audit_entries(db)
    assert (entry.action, entry.actor_name, entry.target_type, entry.target_id) == (
        "user.role",
        "root",
        "user",
        alice_id,
    )
    assert json.loads(entry.before) == {"role": "user"}
    assert json.loads(entry.after) == {"role": "moderator"}
    # Saying the same again changes nothing and writes nothing.
    admin.submit(f"/admin/users/{alice_id}/role", {"role": "moderator"}, page="/admin")
    assert len(audit_entries(db)) == 1


def test_unknown_role_is_refused(admin, alice, db):
    alice_id = get_user(db, "alice").id
    response = admin.submit(f"/admin/users/{alice_id}/role", {"role": "owner"}, page="/admin")
    assert response.status_code == 422 and "Choose user, moderator or admin" in response.text
    assert get_user(db, "alice").role == "user" and audit_entries(db) == []


def test_admin_cannot_demote_themselves(admin, make_browser, db):
    # Even with a second admin around, demoting yourself is refused: ask someone else.
    make_browser().register("other")
    set_role(db, "other", "admin")
    root_id = get_user(db, "root").id
    response = admin.submit(f"/admin/users/{root_id}/role", {"role": "user"}, page="/admin")
    assert response.status_code == 403 and "cannot change your own role" in response.text
    assert get_user(db, "root").role == "admin" and audit_entries(db) == []
    page = admin.get(f"/admin/users/{root_id}").text
    assert "This is your own account" in page and "Change role" not in page


def test_admin_cannot_suspend_themselves(admin, db):
    root_id = get_user(db, "root").id
    response = admin.submit(
        f"/admin/users/{root_id}/suspend", {"duration": "forever"}, page="/admin"
    )
    assert response.status_code == 403 and "cannot suspend your own account" in response.text
    assert get_user(db, "root").is_active
    assert admin.get("/admin").status_code == 200


def test_admin_cannot_delete_themselves_from_the_admin_pages(admin, db):
    root_id = get_user(db, "root").id
    response = admin.submit(f"/admin/users/{root_id}/delete", page="/admin")
    assert response.status_code == 403 and "account page" in response.text
    assert get_user(db, "root")


def test_another_admin_can_be_demoted_while_one_remains(admin, make_browser, db):
    make_browser().register("other")
    other = set_role(db, "other", "admin")
    response = admin.submit(f"/admin/users/{other.id}/role", {"role": "user"}, page="/admin")
    assert response.status_code == 303 and get_user(db, "other").role == "user"


@pytest.mark.parametrize("change", ["demote", "suspend", "delete"])
def test_the_last_active_admin_can_never_be_removed(admin, make_browser, db, change):
    """Whoever asks (here the command line, which has no "yourself"), the last admin stays."""
    root = get_user(db, "root")
    # An inactive admin does not count: they cannot log in to run the site.
    make_browser().register("dormant")
    dormant = set_role(db, "dormant", "admin")
    admin.submit(f"/admin/users/{dormant.id}/suspend", {"duration": "forever"}, page="/admin")
    with pytest.raises(Forbidden, match="only active administrator"):
        if change == "demote":
            admin_service.set_role(session=db, actor=None, user=root, role="moderator")
        elif change == "suspend":
            admin_service.suspend(session=db, actor=None, user=root)
        else:
            users.remove(session=db, user=root)
    db.rollback()
    root = get_user(db, "root")
    assert root.role == "admin" and root.is_active
    # With a second active admin the same change is allowed.
    admin_service.lift(session=db, actor=None, user=get_user(db, "dormant"))
    admin_service.set_role(session=db, actor=None, user=get_user(db, "root"), role="moderator")
    assert get_user(db, "root").role == "moderator"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, make_browser, monkeypatch):
    """The second demotion is checked only after the first commits, so it is refused."""
    for name in ("ann", "ben"):
        make_browser().register(name)
    with Session(app.state.engine) as db:
        for name in ("ann", "ben"):
            set_role(db, name, "admin")
    check = users.ensure_admin_left
    first_checked, let_first_commit = threading.Event(), threading.Event()

    def slow_check(session, user, actor=None):  # type: ignore[no-untyped-def]
        check(session, user, actor)
        if threading.current_thread().name == "first":
            first_checked.set()
            let_first_commit.wait(10)  # hold the first transaction open

    monkeypatch.setattr(users, "ensure_admin_left", slow_check)
    outcomes: dict[str, str] = {}

    def demote(actor_name: str, target_name: str) -> None:
        with Session(app.state.engine, expire_on_commit=False) as session:
            actor, target = get_user(session, actor_name), get_user(session, target_name)
            try:
                admin_service.set_role(session=session, actor=actor, user=target, role="user")
                outcomes[target_name] = "demoted"
            except Forbidden:
                outcomes[target_name] = "refused"

    first = threading.Thread(target=demote, args=("ben", "ann"), name="first")
    second = threading.Thread(target=demote, args=("ann", "ben"), name="second")
    first.start()
    assert first_checked.wait(10)
    second.start()
    time.sleep(0.3)  # the second is now waiting for the first transaction
    let_first_commit.set()
    first.join(15)
    second.join(15)
    assert outcomes == {"ann": "demoted", "ben": "refused"}
    with Session(app.state.engine) as db:
        assert get_user(db, "ben").role == "admin"


def test_sec07_suspension_logs_the_user_out_at_once(admin, alice, make_browser, db):
    elsewhere = make_browser()  # alice on a second device
    elsewhere.login()
    stolen = dict(alice.cookies)  # and a copy of the first device's cookie
    alice_id = get_user(db, "alice").id
    assert count(db, AuthSession) == 3

    response = admin.submit(
        f"/admin/users/{alice_id}/suspend", {"duration": "forever"}, page="/admin"
    )
    assert response.status_code == 303
    assert "alice is suspended and logged out everywhere." in admin.get("/admin/users").text

    for device in (alice, elsewhere):
        response = device.get("/posts/new")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    replay = make_browser()
    replay.client.cookies.update(stolen)
    assert replay.get("/posts/new").status_code == 303
    db.expire_all()
    assert db.exec(select(AuthSession).where(AuthSession.user_id == alice_id)).all() == []
    # Only the right password learns of the suspension; a wrong one gets the usual failure.
    response = make_browser().login()
    assert response.status_code == 403
    assert "Your account is suspended indefinitely." in response.text
    wrong = make_browser().login(password="not-" + PASSWORD)
    assert wrong.status_code == 400 and "suspended" not in wrong.text
    [entry] = audit_entries(db, "user.suspend")
    assert json.loads(entry.before) == {"is_active": True}

    admin.submit(f"/admin/users/{alice_id}/unsuspend", page="/admin")
    assert get_user(db, "alice").is_active
    assert make_browser().login().status_code == 303
    assert [e.action for e in audit_entries(db)] == ["user.suspend", "user.unsuspend"]


def test_delete_confirmation_says_what_will_go(admin, alice, bob, db):
    alice.create_post("One")
    alice.create_post("Two", published=False)
    bob_post = post_id_from(bob.create_post("Bob's"))
    alice.submit(f"/posts/{bob_post}/vote", page=f"/posts/{bob_post}")
    alice_id = get_user(db, "alice").id
    page = admin.get(f"/admin/users/{alice_id}/delete")
    assert page.status_code == 200
    assert "Delete alice?" in page.text
    assert "1 published post and 1 draft" in page.text
    assert "1 vote alice cast" in page.text
    assert f'action="/admin/users/{alice_id}/delete"' in page.text
    # Looking at the confirmation page changes nothing (SECURITY row 13).
    assert get_user(db, "alice") and count(db, Post) == 3


def test_delete_user_takes_posts_votes_and_sessions(admin, alice, bob, make_browser, db):
    alice_post = post_id_from(alice.create_post("Alice's"))
    alice.create_post("Alice's draft", published=False)
    bob_post = post_id_from(bob.create_post("Bob's"))
    alice.submit(f"/posts/{bob_post}/vote", page=f"/posts/{bob_post}")
    bob.submit(f"/posts/{alice_post}/vote", page=f"/posts/{alice_post}")
    assert get_post(db, bob_post).vote_count == 1
    alice_id = get_user(db, "alice").id

    response = admin.submit(f"/admin/users/{alice_id}/delete", page="/admin")
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    assert (
        "alice is deleted, with 1 post(s), 1 draft(s) and 1 vote(s)."
        in admin.get("/admin/users").text
    )
    db.expire_all()
    assert db.get(User, alice_id) is None
    assert db.exec(select(Post).where(Post.owner_id == alice_id)).all() == []
    assert db.exec(select(Vote).where(Vote.user_id == alice_id)).all() == []
    assert db.exec(select(AuthSession).where(AuthSession.user_id == alice_id)).all() == []
    # Bob's post no longer counts alice's vote, and bob's vote on alice's post went with it.
    assert get_post(db, bob_post).vote_count == 0
    assert count(db, Vote) == 0
    assert alice.get("/posts/new").status_code == 303  # test_sec07: her cookie is dead
    [entry] = audit_entries(db, "user.delete")
    before = json.loads(entry.before)
    assert before["username"] == "alice" and before["posts"] == 1 and before["drafts"] == 1
    assert entry.after is None and entry.target_label == "alice"
    assert "deleted user" in admin.get("/admin/audit").text


def test_user_actions_need_a_csrf_token(admin, alice, db):
    alice_id = get_user(db, "alice").id
    for url, data in [
        (f"/admin/users/{alice_id}/role", {"role": "admin"}),
        (f"/admin/users/{alice_id}/suspend", {"duration": "forever"}),
        (f"/admin/users/{alice_id}/delete", {}),
    ]:
        assert admin.client.post(url, data=data).status_code == 403
        assert admin.client.post(url, data={**data, "csrf_token": "bogus"}).status_code == 403
    alice_user = get_user(db, "alice")
    assert alice_user.role == "user" and alice_user.is_active and audit_entries(db) == []


def test_get_on_admin_actions_changes_nothing(admin, alice, db):
    alice_id = get_user(db, "alice").id
    for action in ("role", "suspend", "unsuspend"):
        assert admin.get(f"/admin/users/{alice_id}/{action}").status_code == 405
    assert get_user(db, "alice").is_active and audit_entries(db) == []


def test_audit_entries_keep_names_from_the_time_of_the_action(admin, alice, db):
    alice_id = get_user(db, "alice").id
    admin.submit(f"/admin/users/{alice_id}/role", {"role": "moderator"}, page="/admin")
    alice.submit(
        "/account/profile",
        {"username": "alicia", "email": "alice@example.com", "current_password": PASSWORD},
        page="/account/profile",
    )
    [entry] = audit_entries(db)
    assert entry.target_label == "alice"
    assert get_user(db, "alicia").id == alice_id


def test_an_admin_mails_a_reset_link_and_it_is_audited(admin, alice, db, mailbox):
    from tests.conftest import get_user

    target = get_user(db, "alice")
    page = admin.get(f"/admin/users/{target.id}").text
    assert f'action="/admin/users/{target.id}/reset-link"' in page
    before = target.password_hash
    sent = admin.submit(f"/admin/users/{target.id}/reset-link", page=f"/admin/users/{target.id}")
    assert sent.status_code == 303
    shown = admin.get(f"/admin/users/{target.id}").text
    assert "We mailed alice a link" in shown and "/password/reset/" not in shown
    assert "sent a password reset link" in admin.get("/admin/audit").text
    assert "/password/reset/" in mailbox.link("alice@example.com", "/password/reset/")
    assert get_user(db, "alice").password_hash == before  # nothing set for them


def test_only_admins_send_reset_links(alice, bob, db, mailbox):
    from tests.conftest import get_user

    target = get_user(db, "alice")
    refused = bob.submit(f"/admin/users/{target.id}/reset-link")
    assert refused.status_code == 403
    assert [m for m in mailbox.deliver() if "Reset" in m["Subject"]] == []


# --- suspension ---------------------------------------------------------------------------


def suspend(admin, user_id: int, duration: str = "7", reason: str = ""):  # type: ignore[no-untyped-def]
    return admin.submit(
        f"/admin/users/{user_id}/suspend",
        {"duration": duration, "reason": reason},
        page=f"/admin/users/{user_id}",
    )


def test_a_timed_suspension_shows_on_the_admin_page_and_its_reason_at_login(
    admin, alice, make_browser, db
):
    alice_id = get_user(db, "alice").id
    assert suspend(admin, alice_id, "7", "  Spamming   links ").status_code == 303
    user = get_user(db, "alice")
    assert not user.is_active and user.suspension_reason == "Spamming links"
    assert user.suspended_until is not None
    left = user.suspended_until - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    page = admin.get(f"/admin/users/{alice_id}").text
    assert "Suspended until" in page and "Spamming links" in page
    assert "Lift the suspension" in page and "Suspend and log out" not in page
    assert "Suspended" in admin.get("/admin/users?active=no").text
    # The right password reads until when and why; a wrong one the generic failure.
    response = make_browser().login()
    assert response.status_code == 403
    until = f"{user.suspended_until:%Y-%m-%d %H:%M} UTC"
    assert f"Your account is suspended until {until}: Spamming links" in response.text
    wrong = make_browser().login(password="not-" + PASSWORD)
    assert wrong.status_code == 400
    assert "suspended" not in wrong.text and "Spamming" not in wrong.text
    [entry] = audit_entries(db, "user.suspend")
    assert json.loads(entry.after)["reason"] == "Spamming links"
    # The public log says so, with the reason; the lift is the admins' business.
    public = make_browser().get("/moderation").text
    assert "Suspended" in public and "Spamming links" in public and "alice" in public
    assert admin.submit(f"/admin/users/{alice_id}/unsuspend", page="/admin").status_code == 303
    user = get_user(db, "alice")
    assert user.is_active and user.suspended_until is None and user.suspension_reason == ""
    assert make_browser().login().status_code == 303
    assert make_browser().get("/moderation").text.count("Spamming links") == 1


def test_a_suspension_without_a_reason_has_no_colon_and_bad_durations_are_refused(
    admin, alice, make_browser, db
):
    alice_id = get_user(db, "alice").id
    refused = suspend(admin, alice_id, "3650")
    assert refused.status_code == 422 and "Choose one of the durations" in refused.text
    assert suspend(admin, alice_id, "forever", "x" * 501).status_code == 422
    assert get_user(db, "alice").is_active
    assert suspend(admin, alice_id, "forever").status_code == 303
    assert "Suspended for good" in admin.get(f"/admin/users/{alice_id}").text
    response = make_browser().login()
    assert response.status_code == 403
    assert "Your account is suspended indefinitely." in response.text
    assert "indefinitely:" not in response.text


def test_a_suspension_that_ran_out_is_lifted_at_the_next_login_and_counts_come_back(
    admin, alice, bob, make_browser, db
):
    post_id = post_id_from(alice.create_post("Tomato soup", "ripe tomatoes"))
    alice_id = get_user(db, "alice").id
    assert suspend(admin, alice_id, "1", "Cool off").status_code == 303
    assert "Tomato soup" not in bob.get("/").text
    assert bob.get(f"/posts/{post_id}").status_code == 404
    # A day later: the end has passed, but nobody lifted it yet.
    user = get_user(db, "alice")
    user.suspended_until = datetime.now(UTC) - timedelta(minutes=1)
    db.add(user)
    db.commit()
    assert make_browser().login(password="not-" + PASSWORD).status_code == 400
    assert not get_user(db, "alice").is_active  # a wrong password lifts nothing
    assert make_browser().login().status_code == 303
    assert get_user(db, "alice").is_active
    assert "Tomato soup" in bob.get("/").text
    assert bob.get(f"/posts/{post_id}").status_code == 200
    [lifted] = audit_entries(db, "user.unsuspend")
    assert lifted.actor_name == "system" and lifted.actor_id is None


def test_the_sweep_lifts_only_suspensions_that_ran_out(admin, alice, bob, make_browser, db, app):
    carol = make_browser()
    carol.register("carol")
    ids = {name: get_user(db, name).id for name in ("alice", "bob", "carol")}
    suspend(admin, ids["alice"], "1")
    suspend(admin, ids["bob"], "30")
    suspend(admin, ids["carol"], "forever")
    alice_user = get_user(db, "alice")
    alice_user.suspended_until = datetime.now(UTC) - timedelta(seconds=1)
    db.add(alice_user)
    db.commit()
    # The server's worker runs it on each beat, in a session of its own.
    assert admin_service.lift_ended_in(app.state.engine) == 1
    db.expire_all()
    assert get_user(db, "alice").is_active
    assert not get_user(db, "bob").is_active and not get_user(db, "carol").is_active
    assert admin_service.lift_ended(session=db) == 0


def test_the_worker_runs_its_chores_on_each_beat(app):
    from app.services import outbox

    ran = threading.Event()
    worker = outbox.Worker(app.state.engine, app.state.settings, chores=[lambda e: ran.set()])
    worker.start()
    try:
        assert ran.wait(10)
    finally:
        worker.stop()


def test_a_password_reset_does_not_get_round_a_suspension(admin, alice, make_browser, db):
    alice_id = get_user(db, "alice").id
    suspend(admin, alice_id, "forever", "Harassment")
    refused = admin.submit(f"/admin/users/{alice_id}/reset-link", page=f"/admin/users/{alice_id}")
    assert refused.status_code == 409 and "alice is suspended" in refused.text
    page = admin.get(f"/admin/users/{alice_id}").text
    assert "Mail a password reset link" not in page
    assert audit_entries(db, "user.reset_link") == []


def test_two_lifts_at_once_move_the_counts_once(admin, alice, bob, db, app):
    from app.services import comments

    post_id = post_id_from(bob.create_post("Bread", "sourdough"))
    alice.submit(f"/posts/{post_id}/comments", {"content": "Lovely"}, page=f"/posts/{post_id}")
    suspend(admin, get_user(db, "alice").id, "1")
    assert comments.count(session=db, post_id=post_id) == 0
    user = get_user(db, "alice")
    user.suspended_until = datetime.now(UTC) - timedelta(seconds=1)
    db.add(user)
    db.commit()
    # Two workers' sweeps read the account before either lifts it.
    with Session(app.state.engine) as one, Session(app.state.engine) as other:
        first, second = get_user(one, "alice"), get_user(other, "alice")
        assert users.lift_if_over(one, first)
        assert not users.lift_if_over(other, second)
    db.expire_all()
    assert comments.count(session=db, post_id=post_id) == 1
    assert len(audit_entries(db, "user.unsuspend")) == 1
