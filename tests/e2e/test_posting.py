"""Journeys 1-4: write, find, edit, vote, drafts and deleting, as people click through them."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import (
    NewContext,
    log_in,
    log_out,
    new_person,
    register,
    vote_button,
    write_find_open_edit,
    write_post,
)


def test_journey01_register_write_find_open_edit(page: Page) -> None:
    write_find_open_edit(page, new_person("gardener"))


def test_journey02_second_user_votes_and_unvotes(page: Page, new_context: NewContext) -> None:
    author = new_person("author")
    register(page, author)
    post_id = write_post(page, "Best way to learn touch typing?", "I keep looking at the keys.")

    voter_page = new_context().new_page()
    register(voter_page, new_person("voter"))
    voter_page.goto(f"/posts/{post_id}")
    button = vote_button(voter_page)
    expect(button).to_have_accessible_name("Vote for this post (0 votes)")
    expect(button).to_have_attribute("aria-pressed", "false")

    button.click()
    expect(voter_page.get_by_role("status")).to_contain_text("Thanks for your vote")
    expect(vote_button(voter_page)).to_have_accessible_name("Withdraw your vote (1 vote)")
    expect(vote_button(voter_page)).to_have_attribute("aria-pressed", "true")
    # The author sees the new count too, on the post and in the feed.
    page.reload()
    # ...without a button: nobody votes for their own post.
    expect(vote_button(page)).to_have_count(0)
    expect(page.get_by_role("img", name=re.compile(r"^1 vote \(you cannot"))).to_be_visible()
    page.get_by_role("link", name="Agora home").click()
    card = page.get_by_role("article").filter(has_text="Best way to learn touch typing?")
    expect(card.get_by_role("img", name=re.compile(r"^1 vote \(you cannot"))).to_be_visible()

    vote_button(voter_page).click()
    expect(voter_page.get_by_role("status")).to_contain_text("Your vote is withdrawn")
    expect(vote_button(voter_page)).to_have_accessible_name("Vote for this post (0 votes)")


def test_journey02_anonymous_vote_button_leads_to_login_and_back(
    page: Page,
    new_context: NewContext,
) -> None:
    author = new_person("asker")
    register(page, author)
    post_id = write_post(page, "Favourite bread recipe", "Mine has too much salt.")

    visitor_page = new_context().new_page()
    visitor = new_person("reader")
    register(visitor_page, visitor)
    log_out(visitor_page)
    visitor_page.goto(f"/posts/{post_id}")
    visitor_page.get_by_role("link", name="Log in to vote (0 votes)").click()
    log_in(visitor_page, visitor)
    expect(visitor_page).to_have_url(re.compile(rf"/posts/{post_id}$"))
    vote_button(visitor_page).click()
    expect(vote_button(visitor_page)).to_have_accessible_name("Withdraw your vote (1 vote)")


def test_journey03_draft_is_invisible_to_others(page: Page, new_context: NewContext) -> None:
    owner = new_person("drafter")
    register(page, owner)
    title = "Half-finished thoughts on sourdough"
    post_id = write_post(page, title, "Not ready yet.", publish=False)
    expect(page.get_by_role("status")).to_contain_text("Your draft is saved. Only you can see it.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")

    other_page = new_context().new_page()
    register(other_page, new_person("curious"))
    expect(other_page.get_by_text(title)).to_have_count(0)
    response = other_page.goto(f"/posts/{post_id}")
    assert response is not None and response.status == 404
    expect(other_page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(other_page.get_by_text(title)).to_have_count(0)

    anonymous_page = new_context().new_page()
    anonymous_page.goto("/")
    expect(anonymous_page.get_by_text(title)).to_have_count(0)
    response = anonymous_page.goto(f"/posts/{post_id}")
    assert response is not None and response.status == 404
    expect(anonymous_page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(anonymous_page.get_by_text(title)).to_have_count(0)


def test_journey04_delete_after_confirming(page: Page, new_context: NewContext) -> None:
    register(page, new_person("tidy"))
    title = "A post I will regret"
    post_id = write_post(page, title, "Delete me.")

    # Someone else sees neither button, and the edit address is refused.
    other_page = new_context().new_page()
    register(other_page, new_person("bystander"))
    other_page.goto(f"/posts/{post_id}")
    expect(other_page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(other_page.get_by_role("link", name="Delete", exact=True)).to_have_count(0)
    response = other_page.goto(f"/posts/{post_id}/edit")
    assert response is not None and response.status == 403
    expect(other_page.get_by_role("heading", name="Not allowed")).to_be_visible()

    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", name="Delete this post?")).to_be_visible()
    # "No" keeps it.
    page.get_by_role("link", name="No, keep it").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)

    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_role("status")).to_contain_text("Your post is deleted")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text(title)).to_have_count(0)
    response = page.goto(f"/posts/{post_id}")
    assert response is not None and response.status == 404
