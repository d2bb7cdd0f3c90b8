"""Journey 13: comment, reply and follow a permalink, with JavaScript on and off.

With JavaScript, "Reply" opens the form under the comment; without, it opens the reply page.
"""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import NewContext, new_person, register, write_post


def comment_and_reply(author_page: Page, reader_page: Page, *, scripts: bool) -> None:
    register(author_page, new_person("host"))
    post_id = write_post(author_page, "Which tomatoes for a balcony?", "Small pots, lots of sun.")
    expect(author_page.get_by_role("heading", name="0 comments")).to_be_visible()

    register(reader_page, new_person("guest"))
    reader_page.goto(f"/posts/{post_id}")
    # An empty comment is refused, the form kept, nothing posted.
    reader_page.get_by_role("button", name="Comment", exact=True).click()
    expect(reader_page.get_by_role("alert")).to_contain_text("Nothing was posted")
    expect(reader_page.get_by_text("Write something in your comment")).to_be_visible()
    reader_page.get_by_label("Your comment").fill("Try **cherry** tomatoes.")
    reader_page.get_by_role("button", name="Comment", exact=True).click()
    expect(reader_page).to_have_url(re.compile(rf"/posts/{post_id}#comment-\d+$"))
    expect(reader_page.get_by_role("status")).to_contain_text("Your comment is posted")
    comment = reader_page.locator(".comment").first
    expect(comment.locator("strong")).to_have_text("cherry")
    expect(reader_page.get_by_role("heading", name="1 comment")).to_be_visible()

    author_page.reload()
    author_page.get_by_role("link", name=re.compile(r"^Reply to guest")).click()
    if scripts:
        # In place: the page stays, the form opens under the comment with the focus in it.
        expect(author_page).to_have_url(re.compile(rf"/posts/{post_id}$"))
        expect(author_page.get_by_label("Your reply")).to_be_focused()
        author_page.get_by_role("button", name="Cancel").click()
        expect(author_page.get_by_label("Your reply")).to_have_count(0)
        author_page.get_by_role("link", name=re.compile(r"^Reply to guest")).click()
    else:
        expect(author_page.get_by_role("heading", name="Reply to a comment")).to_be_visible()
        expect(author_page.locator(".comment-quote")).to_contain_text("cherry")
    author_page.get_by_label("Your reply").fill("Thanks, I will.")
    author_page.get_by_role("button", name="Reply", exact=True).click()
    expect(author_page.get_by_role("status")).to_contain_text("Your reply is posted")
    reply = author_page.locator(".comment.indent-1")
    expect(reply).to_contain_text("Thanks, I will.")
    anchor = re.search(r"#comment-(\d+)$", author_page.url)
    assert anchor, author_page.url

    # The reader votes for the reply and follows its permalink.
    reader_page.goto(f"/comments/{anchor.group(1)}")
    expect(reader_page).to_have_url(re.compile(rf"/posts/{post_id}#comment-{anchor.group(1)}$"))
    reader_page.get_by_role("button", name=re.compile(r"^Upvote the comment by host")).click()
    expect(reader_page.get_by_role("status")).to_contain_text("Thanks for your vote")
    expect(
        reader_page.get_by_role("button", name=re.compile(r"^Take back your upvote"))
    ).to_have_attribute("aria-pressed", "true")

    # Search finds the reply; its link lands on it; its thread view shows it too.
    reader_page.goto("/search?q=thanks")
    found = reader_page.get_by_role("region", name="Comments")
    # This journey runs with and without JavaScript on one site: the other run's reply is
    # found too, so follow this one's.
    found.locator(f'a[href="/comments/{anchor.group(1)}"]').click()
    expect(reader_page).to_have_url(re.compile(rf"/posts/{post_id}#comment-{anchor.group(1)}$"))
    reader_page.goto("/search/comments?q=thanks")
    expect(reader_page.get_by_role("heading", name="Comments", exact=True)).to_be_visible()
    reader_page.goto(f"/comments/{anchor.group(1)}/thread")
    expect(reader_page.locator(f"#comment-{anchor.group(1)}")).to_contain_text("Thanks, I will.")

    # The feed's card counts both.
    reader_page.get_by_role("link", name="Agora home").click()
    card = reader_page.get_by_role("article").filter(has_text="Which tomatoes for a balcony?")
    expect(card.get_by_role("link", name="2 comments")).to_be_visible()

    # The reader edits, then deletes their comment: the reply keeps its place.
    reader_page.goto(f"/posts/{post_id}")
    reader_page.get_by_role("link", name="Edit your comment").click()
    reader_page.get_by_label("Your comment").fill("Try cherry or plum tomatoes.")
    reader_page.get_by_role("button", name="Save changes").click()
    expect(reader_page.locator(".comment").first).to_contain_text("edited")
    reader_page.get_by_role("link", name="Delete your comment").click()
    reader_page.get_by_role("button", name="Yes, delete it").click()
    expect(reader_page.get_by_role("status")).to_contain_text("Your comment is deleted")
    expect(reader_page.locator(".comment").first).to_have_text("[deleted]")
    expect(reader_page.locator(".comment.indent-1")).to_contain_text("Thanks, I will.")


def test_journey13_comment_and_reply(page: Page, new_context: NewContext) -> None:
    comment_and_reply(page, new_context().new_page(), scripts=True)


def test_journey13_comment_and_reply_without_javascript(new_context: NewContext) -> None:
    comment_and_reply(
        new_context(java_script_enabled=False).new_page(),
        new_context(java_script_enabled=False).new_page(),
        scripts=False,
    )
