"""Reports, the moderation queue, items set aside for review and the public moderation log."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.models import AuditLog, Comment, Notification, Report
from tests.conftest import get_post, get_user, post_id_from, set_role


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """Small limits, so a few members reach them."""
    return settings.model_copy(update={"reports_per_hour": 3, "reports_to_pend": 3})


def trust(db, username: str, verified: bool = True, age_hours: float = 48) -> None:  # type: ignore[no-untyped-def]
    """Make `username` an established member: a confirmed address, an old enough account."""
    user = get_user(db, username)
    user.email_verified_at = datetime.now(UTC) if verified else None
    user.created_at = datetime.now(UTC) - timedelta(hours=age_hours)
    db.add(user)
    db.commit()


def member(make_browser, db, name: str, **trust_args):  # type: ignore[no-untyped-def]
    b = make_browser()
    assert b.register(name).status_code == 303
    trust(db, name, **trust_args)
    return b


def report(b, item_type: str, item_id: int, reason: str = "spam", note: str = ""):  # type: ignore[no-untyped-def]
    return b.submit(
        "/report",
        {"item_type": item_type, "item_id": str(item_id), "reason": reason, "note": note},
        page=f"/report?type={item_type}&id={item_id}",
    )


def resolve(moderator, report_id: int, action: str, reason: str = ""):  # type: ignore[no-untyped-def]
    return moderator.submit(
        f"/admin/reports/{report_id}/resolve",
        {"action": action, "reason": reason},
        page="/admin/reports",
    )


def open_report_id(db, item_type: str, item_id: int) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return min(
        db.exec(
            select(Report.id).where(
                Report.item_type == item_type,
                Report.item_id == item_id,
                Report.resolved_at.is_(None),  # type: ignore[union-attr]
            )
        ).all()
    )


@pytest.fixture
def spam(alice) -> int:  # type: ignore[no-untyped-def]
    return post_id_from(alice.create_post("Buy cheap watches", "Visit my shop today"))


# --- filing a report ---------------------------------------------------------------------


def test_a_member_reports_someone_elses_post_and_the_page_says_thanks(bob, spam, db):
    assert "Report" in bob.get(f"/posts/{spam}").text
    response = report(bob, "post", spam, "spam", "  Links   to a shop ")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "a moderator will look at your report" in bob.get("/").text
    stored = db.exec(select(Report)).one()
    assert (stored.item_type, stored.item_id, stored.reason, stored.note) == (
        "post",
        spam,
        "spam",
        "Links to a shop",
    )


def test_ones_own_post_comment_and_profile_cannot_be_reported(alice, spam, db):
    assert 'href="/report?type=post' not in alice.get(f"/posts/{spam}").text
    assert report(alice, "post", spam).status_code == 403
    alice.submit(f"/posts/{spam}/comments", {"content": "mine"}, page=f"/posts/{spam}")
    comment_id = db.exec(select(Comment.id)).one()
    assert report(alice, "comment", comment_id).status_code == 403
    me = get_user(db, "alice")
    refused = report(alice, "user", me.id)
    assert refused.status_code == 403 and "your own profile" in refused.text
    assert db.exec(select(Report)).all() == []


def test_a_second_open_report_on_one_item_is_refused_with_a_clear_message(bob, spam, db):
    assert report(bob, "post", spam).status_code == 303
    again = report(bob, "post", spam, "harassment")
    assert again.status_code == 409
    assert "already reported this" in again.text
    assert len(db.exec(select(Report)).all()) == 1


def test_a_bad_reason_or_a_long_note_re_renders_the_form_with_the_error(bob, spam, db):
    bad = report(bob, "post", spam, "boring")
    assert bad.status_code == 422
    assert "Choose a reason" in bad.text and 'name="item_id"' in bad.text
    long = report(bob, "post", spam, "other", "x" * 600)
    assert long.status_code == 422 and "Keep the note under 500 characters" in long.text
    assert db.exec(select(Report)).all() == []


def test_a_report_of_what_the_reporter_cannot_see_is_not_found(alice, bob, db):
    draft = post_id_from(alice.create_post("Private", "draft", published=False))
    assert report(bob, "post", draft).status_code == 404
    assert report(bob, "post", 2**31 - 1).status_code == 404
    assert bob.get("/report?type=post&id=99999999999").status_code == 400


def test_reports_are_throttled_per_member_per_hour(alice, bob, db):
    ids = [post_id_from(alice.create_post(f"Post {n}", "text")) for n in range(4)]
    for post_id in ids[:3]:
        assert report(bob, "post", post_id).status_code == 303
    refused = report(bob, "post", ids[3])
    assert refused.status_code == 429
    assert "3 reports in the last hour" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert len(db.exec(select(Report)).all()) == 3


def test_reporting_needs_a_confirmed_address_when_the_site_requires_one(
    settings, alice, bob, spam, db
):
    settings.email_verification = "required"
    refused = report(bob, "post", spam)
    assert refused.status_code == 403 and "Confirm your email address" in refused.text
    assert db.exec(select(Report)).all() == []


# --- the queue ----------------------------------------------------------------------------


def test_the_queue_groups_open_reports_by_item_oldest_first(
    make_browser, db, alice, spam, moderator
):
    later = post_id_from(alice.create_post("Second post", "text"))
    bob = member(make_browser, db, "bob")
    carol = member(make_browser, db, "carol")
    assert report(bob, "post", spam, "spam", "shop links").status_code == 303
    assert report(carol, "post", later, "off_topic").status_code == 303
    assert report(carol, "post", spam, "harassment", "rude too").status_code == 303
    page = moderator.get("/admin/reports")
    assert page.status_code == 200
    groups = re.findall(r'<h2 id="report-\d+-heading">(.*?)</h2>', page.text)
    assert groups == ["A post by alice: 2 reports", "A post by alice: 1 report"]
    assert "Buy cheap watches" in page.text and "Visit my shop today" in page.text
    assert "Spam &times; 1, Harassment &times; 1" in page.text
    assert "shop links" in page.text and "rude too" in page.text


def test_the_queue_is_for_moderators_and_the_dashboard_counts_it(bob, spam, admin):
    assert bob.get("/admin/reports").status_code == 403
    report(bob, "post", spam)
    dashboard = admin.get("/admin").text
    assert re.search(
        r'Reported items awaiting a decision</dt><dd><a href="/admin/reports">1<', dashboard
    )


def _two_reports(make_browser, db, spam):  # type: ignore[no-untyped-def]
    bob = member(make_browser, db, "bob")
    carol = member(make_browser, db, "carol")
    report(bob, "post", spam)
    report(carol, "post", spam, "harassment")
    return bob, carol


def _told(b) -> str:  # type: ignore[no-untyped-def]
    return b.get("/notifications").text


def test_hiding_resolves_every_report_audits_and_tells_each_reporter_without_the_moderator(
    make_browser, db, alice, spam, moderator
):
    bob, carol = _two_reports(make_browser, db, spam)
    response = resolve(moderator, open_report_id(db, "post", spam), "hide", "Advertising")
    assert response.status_code == 303
    db.expire_all()
    assert {(r.outcome, r.resolved_at is not None) for r in db.exec(select(Report))} == {
        ("hidden", True)
    }
    assert get_post(db, spam).hidden_reason == "Advertising"  # type: ignore[union-attr]
    actions = {e.action for e in db.exec(select(AuditLog))}
    assert {"post.hide", "report.resolve"} <= actions
    for reporter in (bob, carol):
        told = _told(reporter)
        assert "A moderator looked at the post you reported: it is now hidden" in told
        assert "mod" not in re.sub(r"moderator|Moderation|moderation", "", told)
    assert "Hidden by a moderator" in alice.get(f"/posts/{spam}").text
    assert "Advertising" in alice.get(f"/posts/{spam}").text
    assert "No open reports" in moderator.get("/admin/reports").text


def test_deleting_resolves_every_report_and_the_news_outlives_the_post(
    make_browser, db, alice, spam, moderator
):
    bob, carol = _two_reports(make_browser, db, spam)
    assert resolve(moderator, open_report_id(db, "post", spam), "delete").status_code == 303
    assert get_post(db, spam) is None
    assert "post.delete" in {e.action for e in db.exec(select(AuditLog))}
    for reporter in (bob, carol):
        assert "it is now deleted" in _told(reporter)
    assert (
        len(db.exec(select(Notification).where(Notification.kind == "report_resolved")).all()) == 2
    )


def test_dismissing_resolves_every_report_and_changes_nothing_else(
    make_browser, db, alice, spam, moderator
):
    bob, carol = _two_reports(make_browser, db, spam)
    assert resolve(moderator, open_report_id(db, "post", spam), "dismiss").status_code == 303
    assert get_post(db, spam).published  # type: ignore[union-attr]
    assert "they found nothing that breaks the rules" in _told(bob)
    assert "report.resolve" in {e.action for e in db.exec(select(AuditLog))}
    # The item may be reported again after a decision.
    assert report(bob, "post", spam).status_code == 303


def test_a_reporter_who_turned_the_kind_off_is_not_told(make_browser, db, alice, spam, moderator):
    bob, carol = _two_reports(make_browser, db, spam)
    from app.services import notifications

    notifications.set_muted(session=db, user_id=get_user(db, "bob").id, kinds={"report_resolved"})
    resolve(moderator, open_report_id(db, "post", spam), "dismiss")
    assert "you reported" not in _told(bob)
    assert "you reported" in _told(carol)


def test_a_reported_comment_is_removed_with_its_reason(make_browser, db, alice, spam, moderator):
    bob = member(make_browser, db, "bob")
    alice.submit(f"/posts/{spam}/comments", {"content": "nasty words"}, page=f"/posts/{spam}")
    comment_id = db.exec(select(Comment.id)).one()
    assert report(bob, "comment", comment_id, "harassment").status_code == 303
    assert "nasty words" in moderator.get("/admin/reports").text
    refused = resolve(moderator, open_report_id(db, "comment", comment_id), "remove", "")
    assert refused.status_code == 422 and "Say why" in refused.text
    hidden = resolve(moderator, open_report_id(db, "comment", comment_id), "hide")
    assert hidden.status_code == 422  # a comment is removed, not hidden
    assert (
        resolve(
            moderator, open_report_id(db, "comment", comment_id), "remove", "Insults"
        ).status_code
        == 303
    )
    db.expire_all()
    assert db.get(Comment, comment_id).removed_reason == "Insults"  # type: ignore[union-attr]
    assert "it is now hidden" in _told(bob)


def test_warning_and_suspending_are_for_administrators_only(
    make_browser, db, alice, spam, moderator
):
    bob = member(make_browser, db, "bob")
    report(bob, "user", get_user(db, "alice").id, "spam")
    page = moderator.get("/admin/reports").text
    assert "A profile by alice" in page and "Dismiss the reports" in page
    assert "Suspend" not in page and "Warn" not in page
    report_id = open_report_id(db, "user", get_user(db, "alice").id)
    assert resolve(moderator, report_id, "delete").status_code == 422
    refused = resolve(moderator, report_id, "warn", "Be nice")
    assert refused.status_code == 403 and "Only administrators" in refused.text
    assert get_user(db, "alice").is_active
    assert db.exec(select(Notification).where(Notification.kind == "warning")).all() == []


def test_an_admin_warns_the_author_from_the_queue(make_browser, db, alice, spam, admin):
    bob, carol = _two_reports(make_browser, db, spam)
    page = admin.get("/admin/reports").text
    assert "Warn the author" in page and "Suspend the author" in page
    report_id = open_report_id(db, "post", spam)
    assert resolve(admin, report_id, "warn", "").status_code == 422  # a warning says why
    assert resolve(admin, report_id, "warn", "No more shop links, please").status_code == 303
    db.expire_all()
    assert {r.outcome for r in db.exec(select(Report))} == {"warned"}
    assert get_post(db, spam).published  # type: ignore[union-attr]
    told = alice.get("/notifications").text
    assert "A moderator warned you about something you wrote: No more shop links, please" in told
    assert "root" not in told
    # A warning cannot be turned off: the settings page does not offer it.
    assert 'value="warning"' not in alice.get("/account/notifications").text
    for reporter in (bob, carol):
        told = _told(reporter)
        assert "A moderator looked at the post you reported: they warned its author" in told
        assert "root" not in told
    actions = [e.action for e in db.exec(select(AuditLog).order_by(AuditLog.id))]
    assert "report.resolve" in actions and "user.warn" in actions
    assert "No open reports" in admin.get("/admin/reports").text
    assert "alice" not in make_browser().get("/moderation").text  # a warning is not logged


def test_an_admin_suspends_the_author_from_the_queue(make_browser, db, alice, spam, admin):
    bob, carol = _two_reports(make_browser, db, spam)
    # A report on her profile is answered by the same decision.
    report(bob, "user", get_user(db, "alice").id, "spam")
    response = admin.submit(
        f"/admin/reports/{open_report_id(db, 'post', spam)}/resolve",
        {"action": "suspend", "reason": "Spam, again", "duration": "30"},
        page="/admin/reports",
    )
    assert response.status_code == 303
    user = get_user(db, "alice")
    assert not user.is_active and user.suspension_reason == "Spam, again"
    assert user.suspended_until is not None
    db.expire_all()
    assert {r.outcome for r in db.exec(select(Report))} == {"suspended"}
    assert alice.get("/posts/new").status_code == 303  # logged out at once
    login = make_browser().login()
    assert login.status_code == 403 and "Spam, again" in login.text
    for reporter in (bob, carol):
        assert "they suspended its author" in _told(reporter)
    actions = {e.action for e in db.exec(select(AuditLog))}
    assert {"report.resolve", "user.suspend"} <= actions
    public = make_browser().get("/moderation").text
    assert "Suspended" in public and "Spam, again" in public and "account" in public
    assert "No open reports" in admin.get("/admin/reports").text


def test_hiding_outside_the_queue_answers_the_items_reports(
    make_browser, db, alice, spam, moderator
):
    bob, carol = _two_reports(make_browser, db, spam)
    moderator.submit(
        "/admin/posts/apply",
        {"action": "hide", "ids": str(spam), "reason": "Advertising"},
        page="/admin/posts",
    )
    db.expire_all()
    assert {r.outcome for r in db.exec(select(Report))} == {"hidden"}
    for reporter in (bob, carol):
        assert "A moderator looked at the post you reported: it is now hidden" in _told(reporter)
    assert "No open reports" in moderator.get("/admin/reports").text


def test_removing_a_comment_outside_the_queue_answers_its_reports(
    make_browser, db, alice, spam, moderator
):
    bob = member(make_browser, db, "bob")
    alice.submit(f"/posts/{spam}/comments", {"content": "nasty words"}, page=f"/posts/{spam}")
    comment_id = db.exec(select(Comment.id)).one()
    report(bob, "comment", comment_id, "harassment")
    response = moderator.submit(
        f"/comments/{comment_id}/remove", {"reason": "Insults"}, page=f"/posts/{spam}"
    )
    assert response.status_code == 303
    db.expire_all()
    assert db.exec(select(Report.outcome)).one() == "hidden"
    assert "it is now hidden" in _told(bob)


# --- set aside for review -----------------------------------------------------------------


def test_enough_trusted_reporters_set_a_post_aside_until_a_moderator_dismisses(
    make_browser, db, alice, moderator
):
    spam = post_id_from(alice.create_post("Tomato gardening", "grow tomatoes"))
    reader = member(make_browser, db, "reader")
    # Neither an unconfirmed address nor a new account counts towards the threshold.
    newbie = member(make_browser, db, "newbie", age_hours=2)
    unverified = member(make_browser, db, "unverified", verified=False)
    first = member(make_browser, db, "first")
    second = member(make_browser, db, "second")
    for b in (newbie, unverified, first, second):
        assert report(b, "post", spam).status_code == 303
    assert get_post(db, spam).published  # type: ignore[union-attr]
    third = member(make_browser, db, "third")
    assert report(third, "post", spam).status_code == 303
    post = get_post(db, spam)
    assert post is not None and not post.published and post.pending_at is not None
    # Audited as the site's own doing, with no moderator named.
    [pended] = db.exec(select(AuditLog).where(AuditLog.action == "post.pend")).all()
    assert (pended.actor_id, pended.actor_name, pended.target_id) == (None, "system", spam)
    # Gone for everyone else: the post page, the feed, search.
    assert reader.get(f"/posts/{spam}").status_code == 404
    assert "Tomato gardening" not in reader.get("/").text
    assert f'href="/posts/{spam}"' not in reader.get("/search?q=tomato").text
    # Its author reads why, in the words of a pending item, not of a moderator's decision.
    own = alice.get(f"/posts/{spam}").text
    assert "Awaiting a moderator" in own and "Hidden by a moderator" not in own
    # Not in the public log: nobody decided yet.
    assert "alice" not in reader.get("/moderation").text
    assert resolve(moderator, open_report_id(db, "post", spam), "dismiss").status_code == 303
    assert reader.get(f"/posts/{spam}").status_code == 200
    assert "Tomato gardening" in reader.get("/").text
    assert f'href="/posts/{spam}"' in reader.get("/search?q=tomato").text


def test_a_pending_post_cannot_be_republished_by_its_author(make_browser, db, alice, spam):
    for name in ("first", "second", "third"):
        report(member(make_browser, db, name), "post", spam)
    refused = alice.submit(
        f"/posts/{spam}/edit",
        {"title": "Buy cheap watches", "content": "again", "published": "1"},
        page=f"/posts/{spam}/edit",
    )
    assert refused.status_code == 409 and "awaiting a moderator" in refused.text
    assert not get_post(db, spam).published  # type: ignore[union-attr]


def test_a_pending_comment_leaves_the_thread_and_its_count_and_comes_back(
    make_browser, db, alice, bob, spam, moderator
):
    bob.submit(f"/posts/{spam}/comments", {"content": "spammy words"}, page=f"/posts/{spam}")
    comment_id = db.exec(select(Comment.id)).one()
    for name in ("first", "second", "third"):
        report(member(make_browser, db, name), "comment", comment_id)
    page = alice.get(f"/posts/{spam}").text
    assert "spammy words" not in page and "[awaiting a moderator]" in page
    assert get_post(db, spam).comment_count == 0  # type: ignore[union-attr]
    assert "spammy words" not in alice.get("/search?q=spammy&type=comments").text
    assert (
        resolve(moderator, open_report_id(db, "comment", comment_id), "dismiss").status_code == 303
    )
    assert "spammy words" in alice.get(f"/posts/{spam}").text
    assert get_post(db, spam).comment_count == 1  # type: ignore[union-attr]


def test_hiding_a_pending_post_makes_it_hidden_and_logged(make_browser, db, alice, spam, moderator):
    for name in ("first", "second", "third"):
        report(member(make_browser, db, name), "post", spam)
    resolve(moderator, open_report_id(db, "post", spam), "hide", "Advertising")
    post = get_post(db, spam)
    assert post is not None and post.hidden_at is not None and post.pending_at is None
    assert "Advertising" in make_browser().get("/moderation").text


# --- the public moderation log ------------------------------------------------------------


def test_the_public_log_shows_only_safe_fields_and_no_admin_only_actions(
    make_browser, db, admin, moderator
):
    carol = make_browser()
    carol.register("carol", email="carol.secret@example.com")
    secret = post_id_from(carol.create_post("Confidential launch plans", "text"))
    target = get_user(db, "carol")
    admin.submit(
        f"/admin/users/{target.id}/role", {"role": "moderator"}, page=f"/admin/users/{target.id}"
    )
    admin.submit(
        f"/admin/users/{target.id}/role", {"role": "user"}, page=f"/admin/users/{target.id}"
    )
    admin.submit(f"/admin/users/{target.id}/reset-link", page=f"/admin/users/{target.id}")
    moderator.submit(
        "/admin/posts/apply",
        {"action": "hide", "ids": str(secret), "reason": "Off-topic advertising"},
        page="/admin/posts",
    )
    entries = list(db.exec(select(AuditLog)))
    assert any("carol.secret@example.com" in (e.after or "") for e in entries)
    assert any(e.target_label == "Confidential launch plans" for e in entries)
    page = make_browser().get("/moderation")
    assert page.status_code == 200
    assert "Off-topic advertising" in page.text and "carol" in page.text and "Hidden" in page.text
    assert "carol.secret@example.com" not in page.text
    assert "Confidential launch plans" not in page.text
    body = page.text.split("<tbody>")[1].split("</tbody>")[0]
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row]
    # One line, the hide: the role changes and the reset link are not the public's business.
    assert [row[1:] for row in rows] == [["Hidden", "post", "carol", "Off-topic advertising"]]
    assert "role" not in body and "moderator" not in body
    assert "mod" not in re.sub(r"[Mm]oderat\w+", "", page.text) and "root" not in page.text
    assert 'href="/moderation"' in make_browser().get("/").text


def test_the_public_log_is_paginated(make_browser, db, alice, moderator):
    ids = [post_id_from(alice.create_post(f"P{n}", "text")) for n in range(21)]
    for post_id in ids:
        moderator.submit(
            "/admin/posts/apply",
            {"action": "hide", "ids": str(post_id), "reason": f"R{post_id}"},
            page="/admin/posts",
        )
    first = make_browser().get("/moderation").text
    assert f"R{ids[-1]}<" in first and f"R{ids[0]}<" not in first
    assert f"R{ids[0]}<" in make_browser().get("/moderation?page=2").text


# --- the JSON API -------------------------------------------------------------------------


def test_api_report_queue_and_resolve(make_api, db, alice_api, bob_api):
    post = alice_api.create_post("Spam here", "shop")
    made = bob_api.post(
        "/api/reports", json={"item_type": "post", "item_id": post["id"], "reason": "spam"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["outcome"] is None
    again = bob_api.post(
        "/api/reports", json={"item_type": "post", "item_id": post["id"], "reason": "spam"}
    )
    assert again.status_code == 409
    bad = bob_api.post(
        "/api/reports", json={"item_type": "post", "item_id": post["id"], "reason": "meh"}
    )
    assert bad.status_code == 422
    own = alice_api.post(
        "/api/reports", json={"item_type": "post", "item_id": post["id"], "reason": "spam"}
    )
    assert own.status_code == 403
    assert bob_api.get("/api/reports").status_code == 403
    mod_api = make_api("modder")
    set_role(db, "modder", "moderator")
    queue = mod_api.get("/api/reports")
    assert queue.status_code == 200
    [group] = queue.json()["items"]
    assert (group["item_id"], group["count"], group["author"], group["item_status"]) == (
        post["id"],
        1,
        "alice",
        "published",
    )
    assert group["reasons"] == {"spam": 1} and group["actions"] == ["dismiss", "hide", "delete"]
    url = f"/api/reports/{group['report_id']}/resolve"
    assert mod_api.post(url, json={"action": "hide"}).status_code == 422  # no reason
    done = mod_api.post(url, json={"action": "hide", "reason": "Advertising"})
    assert done.status_code == 200 and done.json() == {"outcome": "hidden"}
    assert mod_api.post(url, json={"action": "dismiss"}).status_code == 404
    assert alice_api.get(f"/api/posts/{post['id']}").json()["status"] == "hidden"
    [news] = bob_api.get("/api/notifications").json()["items"]
    assert (news["kind"], news["report_outcome"], news["actor"]) == (
        "report_resolved",
        "hidden",
        None,
    )
    assert "modder" not in str(news)
