"""Journey 16: an administrator suspends a member for a week with a reason; the member is
logged out at once and, logging in again with the right password, reads until when and why."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from tests.e2e.flows import NewContext, new_person, register
from tests.e2e.harness import Site


def _make_admin(site: Site, username: str) -> None:
    # The role is read from the database on every request: no new login needed.
    engine = create_engine(site.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE user SET role = 'admin' WHERE username = :u"), {"u": username})
    engine.dispose()


def _user_id(site: Site, username: str) -> int:
    engine = create_engine(site.database_url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT id FROM user WHERE username = :u"), {"u": username}
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_journey16_suspended_member_reads_the_reason_at_login(
    page: Page, new_context: NewContext, agora_server: Site
) -> None:
    member = new_person("loud")
    register(page, member)

    admin = new_context().new_page()
    boss = new_person("boss")
    register(admin, boss)
    _make_admin(agora_server, boss.username)
    admin.goto(f"/admin/users/{_user_id(agora_server, member.username)}")
    admin.get_by_label("Suspend for").select_option(label="7 days")
    admin.get_by_label(re.compile("^Reason")).fill("Repeated insults in comments")
    admin.get_by_role("button", name="Suspend and log out").click()
    expect(admin.get_by_role("status")).to_contain_text("is suspended and logged out everywhere")
    expect(admin.locator("main")).to_contain_text("Suspended until")
    expect(admin.locator("main")).to_contain_text("Repeated insults in comments")

    # The member's open page is logged out on its next request.
    page.goto("/posts/new")
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    page.get_by_label("Email or username").fill(member.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).not_to_contain_text("suspended")
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        re.compile(r"Your account is suspended until \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    )
    expect(alert).to_contain_text("Repeated insults in comments")
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
