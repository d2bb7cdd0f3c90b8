"""Journey 7: every form error sits beside its field, and what was typed is still there."""

from playwright.sync_api import Locator, Page, expect

from tests.e2e.flows import NewContext, log_out, new_person, register, write_post


def assert_error_beside(field: Locator, message: str) -> None:
    """The error is announced with the field (aria-describedby) and shown right under it."""
    expect(field).to_have_attribute("aria-invalid", "true")
    error_id = f"{field.get_attribute('id')}-error"
    described_by = field.get_attribute("aria-describedby") or ""
    assert error_id in described_by.split(), described_by
    error = field.page.locator(f"#{error_id}")
    expect(error).to_be_visible()
    expect(error).to_contain_text(message)
    box, error_box = field.bounding_box(), error.bounding_box()
    assert box and error_box
    gap = error_box["y"] - (box["y"] + box["height"])
    assert 0 <= gap < 24, f"error is {gap}px away from its field"
    assert abs(error_box["x"] - box["x"]) < 24


def test_journey07_register_errors(page: Page) -> None:
    page.goto("/register")
    page.get_by_label("Username").fill("no spaces allowed")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()

    assert_error_beside(page.get_by_label("Username"), "letters, digits")
    assert_error_beside(page.get_by_label("Email"), "Enter a valid email address")
    assert_error_beside(page.get_by_label("Password"), "at least 8 characters")
    expect(page.get_by_label("Username")).to_have_value("no spaces allowed")
    expect(page.get_by_label("Email")).to_have_value("not-an-email")
    expect(page.get_by_label("Password")).to_have_value("")


def test_journey07_duplicate_account_errors(page: Page, new_context: NewContext) -> None:
    taken = new_person("popular")
    register(new_context().new_page(), taken)

    page.goto("/register")
    page.get_by_label("Username").fill(taken.username.upper())
    page.get_by_label("Email").fill(taken.email)
    page.get_by_label("Password").fill("a different long passphrase")
    page.get_by_role("button", name="Create account").click()
    assert_error_beside(page.get_by_label("Username"), "That username is taken")
    assert_error_beside(page.get_by_label("Email"), "already exists")
    expect(page.get_by_label("Username")).to_have_value(taken.username.upper())


def test_journey07_login_error_keeps_the_email(page: Page) -> None:
    person = new_person("forgetful")
    register(page, person)
    log_out(page)
    page.get_by_role("link", name="Log in", exact=True).click()
    page.get_by_label("Email or username").fill(person.email)
    page.get_by_label("Password").fill("not my password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("Email or username")).to_have_value(person.email)
    expect(page.get_by_label("Password")).to_have_value("")


def test_journey07_editor_errors_keep_the_text(page: Page) -> None:
    register(page, new_person("writer"))
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("   ")
    page.get_by_label("Post", exact=True).fill("A long thought I do not want to lose.")
    page.get_by_label("Publish now").uncheck()
    page.get_by_role("button", name="Post", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved yet")
    assert_error_beside(page.get_by_label("Title"), "Give your post a title")
    expect(page.get_by_label("Post", exact=True)).to_have_value(
        "A long thought I do not want to lose."
    )
    expect(page.get_by_label("Publish now")).not_to_be_checked()

    # The same on the edit form of a saved post.
    page.get_by_label("Title").fill("A title at last")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("A title at last")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Title").fill("Still a title")
    page.get_by_label("Post", exact=True).fill("")
    page.get_by_role("button", name="Save changes").click()
    assert_error_beside(page.get_by_label("Post", exact=True), "Write something in your post")
    expect(page.get_by_label("Title")).to_have_value("Still a title")


def test_journey07_editor_error_on_a_published_post_keeps_publish_ticked(page: Page) -> None:
    register(page, new_person("editor"))
    write_post(page, "Ticked", "Published from the start.")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save changes").click()
    assert_error_beside(page.get_by_label("Title"), "Give your post a title")
    expect(page.get_by_label("Publish now")).to_be_checked()
