"""Journey 18: members side by side on the same kept pages (app.web.shared), each seeing their
own name, votes, bookmark and buttons, never the other's."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import NewContext, new_person, register, write_post


def post_vote(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".post-vote").get_by_role("button")


def menu_name(page: Page) -> str:
    return page.locator(".site-header .user-menu summary .name").inner_text()


def test_journey18_two_members_on_one_post_each_see_their_own(
    page: Page, new_context: NewContext
) -> None:
    register(page, new_person("kepta"))
    title = "Which bread keeps best?"
    post_id = write_post(page, title, "Mine goes stale in a day.")

    first = new_context().new_page()
    one = new_person("keptreader")
    register(first, one)
    first.goto(f"/posts/{post_id}")
    expect(post_vote(first)).to_have_accessible_name("Vote for this post (0 votes)")
    post_vote(first).click()
    expect(post_vote(first)).to_have_accessible_name("Withdraw your vote (1 vote)")
    first.get_by_role("button", name="Bookmark", exact=True).click()
    expect(first.get_by_role("button", name="Bookmarked (remove)")).to_be_visible()
    first.get_by_label("Your comment").fill("Sourdough, wrapped in a cloth.")
    first.get_by_role("button", name="Comment", exact=True).click()
    expect(first.get_by_text("Sourdough, wrapped in a cloth.")).to_be_visible()

    second = new_context().new_page()
    two = new_person("keptother")
    register(second, two)
    for _ in range(2):  # drawn for the one, then kept: both views are the second's own
        second.goto(f"/posts/{post_id}")
        assert menu_name(second) == two.username
        expect(post_vote(second)).to_have_accessible_name("Vote for this post (1 vote)")
        expect(post_vote(second)).to_have_attribute("aria-pressed", "false")
        expect(second.get_by_role("button", name="Bookmark", exact=True)).to_be_visible()
        expect(second.get_by_role("link", name="Edit your comment")).to_have_count(0)
        vote = second.get_by_role("button", name=re.compile(r"^Upvote the comment by"))
        expect(vote).to_have_attribute("aria-pressed", "false")

    first.reload()
    assert menu_name(first) == one.username
    expect(post_vote(first)).to_have_accessible_name("Withdraw your vote (1 vote)")
    expect(first.get_by_role("button", name="Bookmarked (remove)")).to_be_visible()
    expect(first.get_by_role("link", name="Edit your comment")).to_be_visible()
    expect(first.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    # The author's own page: Edit and Delete, and a count instead of a button.
    page.goto(f"/posts/{post_id}")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_be_visible()
    expect(post_vote(page)).to_have_count(0)

    # The feed, kept for members alike: each card's vote box is the reader's own.
    first.goto("/")
    second.goto("/")
    card = {p: p.get_by_role("article").filter(has_text=title) for p in (first, second)}
    pressed = re.compile(r"^(Vote for|Withdraw your vote)")
    expect(card[first].get_by_role("button", name=pressed)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(card[second].get_by_role("button", name=pressed)).to_have_attribute(
        "aria-pressed", "false"
    )
