"""Who may enter the admin pages, the dashboard, the users list and its CSV export."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.models import AuditLog, User
from app.services import admin as admin_service
from app.web.charts import bar_chart
from tests.conftest import PASSWORD, get_user, post_id_from, set_role

ADMIN_ONLY = ["/admin/users", "/admin/users.csv", "/admin/users/1", "/admin/audit"]
MODERATED = ["/admin/posts", "/admin/posts.csv", "/admin/posts/confirm?action=delete&ids=1"]


def add_users(db, names, **fields):  # type: ignore[no-untyped-def]
    """Insert accounts straight into the database: list tests need many, not real passwords."""
    for name in names:
        db.add(
            User(
                username=name,
                username_key=name.lower(),
                email=fields.get("email", f"{name.lower()}@example.com"),
                password_hash="x",
                role=fields.get("role", "user"),
                is_active=fields.get("is_active", True),
                created_at=fields.get("created_at", datetime.now(UTC)),
            )
        )
    db.commit()


def usernames(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The usernames in the admin users table, in order."""
    return [user.username for user, _ in response.context["page"].items]


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.text)))


# --- who gets in --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin", *ADMIN_ONLY, *MODERATED])
def test_sec23_anonymous_is_sent_to_login(browser, url):
    response = browser.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/admin")


@pytest.mark.parametrize("url", ["/admin", *ADMIN_ONLY, *MODERATED])
def test_sec23_plain_user_gets_the_403_page(alice, url):
    response = alice.get(url)
    assert response.status_code == 403
    assert "Not allowed" in response.text and "moderators and administrators" in response.text
    assert 'class="site-header"' in response.text


def test_sec23_plain_user_cannot_post_admin_actions(alice, bob, db):
    post_id = post_id_from(bob.create_post("Bob's post"))
    bob_id = get_user(db, "bob").id
    token = alice.token()
    for url, data in [
        (f"/admin/users/{bob_id}/role", {"role": "admin"}),
        (f"/admin/users/{bob_id}/suspend", {"duration": "forever"}),
        (f"/admin/users/{bob_id}/delete", {}),
        ("/admin/posts/apply", {"action": "delete", "ids": str(post_id)}),
    ]:
        assert alice.client.post(url, data={**data, "csrf_token": token}).status_code == 403
    bob_user = get_user(db, "bob")
    assert bob_user.role == "user" and bob_user.is_active
    assert db.exec(select(func.count()).select_from(AuditLog)).one() == 0
    assert alice.get(f"/posts/{post_id}").status_code == 200


@pytest.mark.parametrize("url", ADMIN_ONLY)
def test_moderator_is_kept_to_the_posts_pages(moderator, url):
    response = moderator.get(url)
    assert response.status_code == 403
    assert "for administrators" in response.text


def test_moderator_lands_on_posts_and_sees_only_posts_in_the_admin_nav(moderator):
    response = moderator.get("/admin")
    assert response.status_code == 303 and response.headers["location"] == "/admin/posts"
    page = moderator.get("/admin/posts").text
    nav = page.split('aria-label="Admin"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/admin/posts"' in nav
    assert 'href="/admin/users"' not in nav and 'href="/admin/audit"' not in nav


def test_header_links_to_admin_only_for_staff(admin, moderator, alice):
    assert '<a href="/admin">Admin</a>' in admin.get("/").text
    assert '<a href="/admin">Admin</a>' in moderator.get("/").text
    assert '<a href="/admin">Admin</a>' not in alice.get("/").text


def test_sec23_promotion_and_demotion_apply_on_the_next_request(admin, alice, db):
    """The role is read from the database on every request, not from the login token."""
    alice_id = get_user(db, "alice").id
    assert alice.get("/admin/users").status_code == 403
    admin.submit(f"/admin/users/{alice_id}/role", {"role": "admin"}, page="/admin")
    assert alice.get("/admin/users").status_code == 200  # same cookie, no new login
    admin.submit(f"/admin/users/{alice_id}/role", {"role": "moderator"}, page="/admin")
    assert alice.get("/admin/users").status_code == 403
    assert alice.get("/admin/posts").status_code == 200
    admin.submit(f"/admin/users/{alice_id}/role", {"role": "user"}, page="/admin")
    assert alice.get("/admin/posts").status_code == 403


def test_sec23_demoted_admin_is_refused_at_once(admin, make_browser, db):
    second = make_browser()
    second.register("second")
    set_role(db, "second", "admin")
    assert second.get("/admin").status_code == 200
    token = second.token("/admin")  # a form the demoted admin still has open
    set_role(db, "second", "user")
    assert second.get("/admin").status_code == 403
    alice_like = get_user(db, "root").id
    response = second.client.post(
        f"/admin/users/{alice_like}/role", data={"role": "user", "csrf_token": token}
    )
    assert response.status_code == 403
    assert get_user(db, "root").role == "admin"


def test_sec24_role_is_never_bound_from_form_input(browser, alice, db):
    browser.submit(
        "/register",
        {
            "username": "mallory",
            "email": "mallory@example.com",
            "password": PASSWORD,
            "role": "admin",
            "is_admin": "true",
        },
        page="/register",
    )
    assert get_user(db, "mallory").role == "user"
    alice.submit(
        "/account/profile",
        {
            "username": "alice",
            "email": "alice@example.com",
            "current_password": PASSWORD,
            "role": "admin",
        },
        page="/account/profile",
    )
    assert get_user(db, "alice").role == "user"
    assert alice.get("/admin").status_code == 403


# --- dashboard -----------------------------------------------------------------------------------


def test_dashboard_counts_and_charts(admin, alice, bob):
    post_id = post_id_from(alice.create_post("Published one"))
    alice.create_post("A draft", published=False)
    bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    page = admin.get("/admin").text
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>(?:<a [^>]+>)?(\d+)", page))
    assert stats == {
        "Users": "3",
        "Published posts": "1",
        "Drafts": "1",
        "Votes": "1",
        "Reported items awaiting a decision": "0",
    }
    assert page.count('<svg class="chart-svg"') == 2 and 'role="img"' in page
    # Readable without colour: a caption with the total, numbers on the bars, and a table.
    assert "Sign-ups per day</strong>: 3 in the last 30 days" in page
    assert "Posts per day</strong>: 2 in the last 30 days" in page
    today = datetime.now(UTC).date()
    row = re.search(
        rf'<time datetime="{today.isoformat()}">[^<]+</time></th>\s*'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td>',
        page,
    )
    assert row and row.groups() == ("3", "2")
    # The CSP forbids inline styles: the chart is styled from the stylesheet only.
    assert "style=" not in page


def test_dashboard_buckets_the_last_30_days(db, app):
    now = datetime.now(UTC)
    add_users(db, ["old"], created_at=now - timedelta(days=31))
    add_users(db, ["week1", "week2"], created_at=now - timedelta(days=7))
    add_users(db, ["today"], created_at=now)
    stats = admin_service.dashboard(session=db)
    assert len(stats.days) == 30 and stats.days[-1].day == now.date()
    by_day = {d.day: d.signups for d in stats.days}
    assert by_day[(now - timedelta(days=7)).date()] == 2
    assert by_day[now.date()] == 1
    assert sum(by_day.values()) == 3 and stats.users == 4


def test_bar_chart_scales_to_a_round_maximum():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(30)]
    chart = bar_chart(
        "Posts per day", "post", [(d, 7 if i == 3 else 0) for i, d in enumerate(days)]
    )
    assert chart.y_max == 10 and chart.total == 7 and chart.peak and chart.peak.value == 7
    tallest = chart.bars[3]
    assert tallest.height == pytest.approx((chart.baseline - chart.top) * 0.7, abs=0.01)
    assert [b.day.day for b in chart.x_labels] == [1, 8, 15, 22, 30]
    empty = bar_chart("Sign-ups per day", "sign-up", [(d, 0) for d in days])
    assert empty.y_max == 1 and empty.peak is None and all(b.height == 0 for b in empty.bars)


# --- users list ----------------------------------------------------------------------------------


def test_users_list_searches_username_and_email(admin, db):
    add_users(db, ["Zed"], email="zed@corp.example")
    add_users(db, ["yolanda"], email="y@home.example")
    assert usernames(admin.get("/admin/users?q=ZED")) == ["Zed"]
    assert usernames(admin.get("/admin/users?q=home.example")) == ["yolanda"]
    # LIKE wildcards in the search are plain characters.
    assert usernames(admin.get("/admin/users?q=%25")) == []
    assert "No users match" in admin.get("/admin/users?q=_").text


def test_users_list_filters_by_role_and_status(admin, db):
    add_users(db, ["helper"], role="moderator")
    add_users(db, ["gone"], is_active=False)
    assert usernames(admin.get("/admin/users?role=moderator")) == ["helper"]
    assert usernames(admin.get("/admin/users?role=admin")) == ["root"]
    assert usernames(admin.get("/admin/users?active=no")) == ["gone"]
    assert "gone" not in usernames(admin.get("/admin/users?active=yes"))


def test_users_list_sorts_by_every_column(admin, alice, db):
    add_users(db, ["bea", "carl"])
    alice.create_post()
    alice.create_post("Second")
    page = admin.get("/admin/users?sort=username&dir=asc")
    assert usernames(page) == ["alice", "bea", "carl", "root"]
    assert 'aria-sort="ascending"' in page.text
    assert usernames(admin.get("/admin/users?sort=username&dir=desc"))[0] == "root"
    assert usernames(admin.get("/admin/users?sort=posts&dir=desc"))[0] == "alice"
    assert usernames(admin.get("/admin/users?sort=role&dir=asc"))[0] == "root"
    for column in ("email", "active", "joined"):
        assert admin.get(f"/admin/users?sort={column}&dir=asc").status_code == 200


@pytest.mark.parametrize(
    "query", ["sort=password_hash", "dir=sideways", "role=owner", "active=maybe", "page=0"]
)
def test_users_list_refuses_unknown_filters(admin, query):
    response = admin.get(f"/admin/users?{query}")
    assert response.status_code == 400 and "not valid" in response.text


def test_users_list_paginates_and_keeps_the_filters(admin, db):
    add_users(db, [f"user{i:02d}" for i in range(60)])
    first = admin.get("/admin/users?q=user&sort=username&dir=asc")
    assert usernames(first)[0] == "user00" and len(usernames(first)) == 50
    assert 'href="/admin/users?q=user&amp;sort=username&amp;dir=asc&amp;page=2"' in first.text
    second = admin.get("/admin/users?q=user&sort=username&dir=asc&page=2")
    assert usernames(second) == [f"user{i:02d}" for i in range(50, 60)]


def test_users_csv_holds_exactly_the_filtered_rows(admin, alice, db):
    add_users(db, ["helper"], role="moderator")
    add_users(db, ["formula"], email="=cmd+1@example.com")
    alice.create_post()
    rows = csv_rows(admin.get("/admin/users.csv?sort=username&dir=asc"))
    assert rows[0] == ["id", "username", "email", "role", "active", "joined", "posts"]
    assert [r[1] for r in rows[1:]] == ["alice", "formula", "helper", "root"]
    alice_row = rows[1]
    assert alice_row[2:5] == ["alice@example.com", "user", "yes"] and alice_row[6] == "1"
    # A cell a spreadsheet would run as a formula is written as text.
    assert rows[2][2] == "'=cmd+1@example.com"
    only = csv_rows(admin.get("/admin/users.csv?role=moderator"))
    assert [r[1] for r in only[1:]] == ["helper"]
    # The on-screen page links to the export with the same filters.
    assert (
        'href="/admin/users.csv?role=moderator&amp;sort=joined&amp;dir=desc"'
        in admin.get("/admin/users?role=moderator").text
    )


# --- audit log page ------------------------------------------------------------------------------


def test_audit_log_lists_filters_and_is_read_only(admin, alice, bob, db):
    alice_id, bob_id = get_user(db, "alice").id, get_user(db, "bob").id
    admin.submit(f"/admin/users/{alice_id}/role", {"role": "moderator"}, page="/admin")
    admin.submit(f"/admin/users/{bob_id}/suspend", {"duration": "forever"}, page="/admin")
    page = admin.get("/admin/audit").text
    assert "changed role" in page and "suspended user" in page
    assert re.search(r'kv-key">role</span> user</li>.*kv-key">role</span> moderator', page, re.S)
    only_roles = admin.get("/admin/audit?action=user.role").text
    assert "changed role" in only_roles and "suspended user</td>" not in only_roles
    by_target = admin.get(f"/admin/audit?target_type=user&target_id={bob_id}").text
    assert "suspended user</td>" in by_target and "changed role</td>" not in by_target
    assert "No entries match" in admin.get("/admin/audit?actor=nobody").text
    assert "changed role" in admin.get("/admin/audit?actor=ROOT&target_id=").text
    assert admin.get("/admin/audit?action=user.drop").status_code == 422
    assert admin.get("/admin/audit?target_id=99999999999999999999").status_code == 400
    assert admin.get("/admin/audit?target_id=9999999999999999999").status_code == 422
    # Nothing on the page can change an entry, and no route accepts a change.
    assert '<form method="post"' not in page.split('<main id="main"', 1)[1]
    assert admin.client.post("/admin/audit", data={"csrf_token": admin.token()}).status_code == 405
