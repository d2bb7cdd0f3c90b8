"""Journey 14: a mention becomes a notification; it is opened and everything marked read, with
JavaScript on and off."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import NewContext, new_person, register, write_post


def mention_and_notify(alice: Page, bob: Page) -> None:
    mentioned = new_person("bob")
    register(bob, mentioned)
    expect(bob.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    bob.get_by_role("link", name="Notifications", exact=True).click()
    expect(bob.get_by_text("No notifications yet.")).to_be_visible()

    register(alice, new_person("alice"))
    post_id = write_post(alice, "Seeds to swap", "Who has spare beans?")
    alice.get_by_label("Your comment").fill(f"@{mentioned.username} had some, I think.")
    alice.get_by_role("button", name="Comment", exact=True).click()
    expect(alice).to_have_url(re.compile(rf"/posts/{post_id}#comment-\d+$"))
    comment_id = alice.url.rsplit("-", 1)[1]
    expect(alice.get_by_role("link", name=f"@{mentioned.username}")).to_have_attribute(
        "href", f"/users/{mentioned.username}"
    )

    # A page later, the header counts one unread notification.
    bob.goto("/")
    expect(bob.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    bob.get_by_role("link", name="Notifications 1 unread").click()
    expect(bob.get_by_role("heading", name="Notifications")).to_be_visible()
    notice = bob.get_by_role("button", name=re.compile(r"mentioned you in a comment"))
    expect(notice).to_contain_text("Seeds to swap")
    notice.click()
    expect(bob).to_have_url(re.compile(rf"/posts/{post_id}(\?page=\d+)?#comment-{comment_id}$"))
    expect(bob.locator(f"#comment-{comment_id}")).to_contain_text("had some, I think")
    expect(bob.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    # Another arrives; "Mark all as read" clears the count.
    alice.goto(f"/users/{mentioned.username}")
    alice.get_by_role("button", name="Follow").click()
    bob.goto("/notifications")
    expect(bob.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    bob.get_by_role("button", name="Mark all as read").click()
    expect(bob.get_by_role("status")).to_contain_text("All caught up")
    expect(bob.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(bob.get_by_role("button", name="Mark all as read")).to_have_count(0)

    # Followers are not news to everyone: turned off on the account page.
    bob.get_by_role("link", name="Choose which notifications you get").click()
    bob.get_by_label("New followers").uncheck()
    bob.get_by_role("button", name="Save").click()
    expect(bob.get_by_role("status")).to_contain_text("Saved")
    expect(bob.get_by_label("New followers")).not_to_be_checked()
    expect(bob.get_by_label("Mentions of me")).to_be_checked()


def test_journey14_mention_and_notification(page: Page, new_context: NewContext) -> None:
    mention_and_notify(page, new_context().new_page())


def test_journey14_mention_and_notification_without_javascript(new_context: NewContext) -> None:
    mention_and_notify(
        new_context(java_script_enabled=False).new_page(),
        new_context(java_script_enabled=False).new_page(),
    )
