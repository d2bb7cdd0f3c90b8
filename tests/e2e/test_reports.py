"""Journey 15: a member reports a post, a moderator hides it from the queue, its author reads
why, and the public moderation log shows the decision without the post's title."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from tests.e2e.flows import NewContext, new_person, register, write_post
from tests.e2e.harness import Site


def _make_moderator(site: Site, username: str) -> None:
    # The role is read from the database on every request: no new login needed.
    engine = create_engine(site.database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE user SET role = 'moderator' WHERE username = :u"), {"u": username}
        )
    engine.dispose()


def test_journey15_report_queue_hide_author_sees_why_public_log(
    page: Page, new_context: NewContext, agora_server: Site
) -> None:
    author = new_person("seller")
    register(page, author)
    post_id = write_post(page, "Cheap watches, very cheap", "Visit my shop for watches.")

    reader = new_context().new_page()
    register(reader, new_person("reader"))
    reader.goto(f"/posts/{post_id}")
    reader.get_by_role("link", name="Report this post").click()
    expect(reader.get_by_role("heading", name="Report this post")).to_be_visible()
    # No reason: the form says so and keeps the note.
    reader.get_by_label("Anything the moderators should know (optional)").fill("Shop links")
    reader.get_by_role("button", name="Send the report").click()
    expect(reader.get_by_role("alert")).to_contain_text("Nothing was sent")
    expect(reader.get_by_label("Anything the moderators should know (optional)")).to_have_value(
        "Shop links"
    )
    reader.get_by_label("Spam").check()
    reader.get_by_role("button", name="Send the report").click()
    expect(reader).to_have_url(re.compile(rf"/posts/{post_id}$"))
    expect(reader.get_by_role("status")).to_contain_text("a moderator will look at your report")

    moderator = new_context().new_page()
    mod = new_person("warden")
    register(moderator, mod)
    _make_moderator(agora_server, mod.username)
    moderator.goto("/admin/reports")
    group = moderator.locator(".report-group").filter(has_text="Cheap watches, very cheap")
    expect(group.get_by_role("heading", level=2)).to_have_text(
        "A post by " + author.username + ": 1 report"
    )
    expect(group).to_contain_text("Shop links")
    group.get_by_label(re.compile("^Reason")).fill("Advertising is not allowed here")
    group.get_by_role("button", name="Hide the post").click()
    expect(moderator.get_by_role("status")).to_contain_text("the item is hidden")
    expect(moderator.locator(".report-group").filter(has_text="Cheap watches")).to_have_count(0)

    # The author reads the reason on their post; everyone else gets nothing there.
    page.goto(f"/posts/{post_id}")
    expect(page.get_by_text("Hidden by a moderator")).to_be_visible()
    expect(page.get_by_role("note").first).to_contain_text("Advertising is not allowed here")
    assert reader.goto(f"/posts/{post_id}").status == 404

    # The reporter hears the outcome, not who decided.
    reader.goto("/notifications")
    news = reader.locator(".notification").filter(has_text="you reported")
    expect(news).to_contain_text("it is now hidden")
    expect(news).not_to_contain_text(mod.username)

    # The public log, from the footer: the decision, without the title or the moderator.
    visitor = new_context().new_page()
    visitor.goto("/")
    visitor.get_by_role("link", name="Moderation log").click()
    expect(visitor.get_by_role("heading", name="Moderation log")).to_be_visible()
    row = visitor.get_by_role("row").filter(has_text="Advertising is not allowed here")
    expect(row).to_contain_text("Hidden")
    expect(row).to_contain_text(author.username)
    expect(visitor.locator("main")).not_to_contain_text("Cheap watches")
    expect(visitor.locator("main")).not_to_contain_text(mod.username)
