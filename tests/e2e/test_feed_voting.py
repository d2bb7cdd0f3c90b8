"""Journey 15: voting from the feed, with JavaScript (no reload) and without (back to the card)."""

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.flows import NewContext, log_in, log_out, new_person, register, write_post


def feed_card(page: Page, title: str) -> Locator:
    return page.get_by_role("article").filter(has_text=title)


def card_vote(card: Locator) -> Locator:
    return card.get_by_role("button", name=re.compile(r"^(Vote for|Withdraw your vote)"))


def test_journey15_voting_from_the_feed_with_javascript(
    page: Page, new_context: NewContext
) -> None:
    register(page, new_person("feedauthor"))
    title = "Which houseplants survive a dark flat?"
    post_id = write_post(page, title, "Mine keep dying.")

    voter = new_context().new_page()
    register(voter, new_person("feedvoter"))
    voter.goto("/")
    card = feed_card(voter, title)
    expect(card_vote(card)).to_have_accessible_name("Vote for this post (0 votes)")
    # A reload would replace the document: a mark set on it survives only if none happened.
    voter.evaluate("() => { window.stillHere = true; }")
    card_vote(card).click()
    expect(card_vote(card)).to_have_accessible_name("Withdraw your vote (1 vote)")
    expect(card_vote(card)).to_have_attribute("aria-pressed", "true")
    expect(voter.get_by_role("status")).to_contain_text("Thanks for your vote")
    assert voter.evaluate("() => window.stillHere") is True
    assert voter.url.endswith("/")
    voter.reload()
    expect(card_vote(feed_card(voter, title))).to_have_attribute("aria-pressed", "true")
    card_vote(feed_card(voter, title)).click()
    expect(card_vote(feed_card(voter, title))).to_have_accessible_name(
        "Vote for this post (0 votes)"
    )
    voter.goto(f"/posts/{post_id}")
    expect(voter.get_by_role("button", name="Vote for this post (0 votes)")).to_be_visible()


def test_journey15_voting_from_the_feed_without_javascript(
    page: Page, new_context: NewContext
) -> None:
    register(page, new_person("nojsfeedauthor"))
    title = "Plain forms still vote"
    post_id = write_post(page, title, "No script needed.")

    visitor = new_context(java_script_enabled=False).new_page()
    person = new_person("nojsfeedvoter")
    register(visitor, person)
    log_out(visitor)
    # A visitor's box is a way to log in that comes back to the same card.
    feed_card(visitor, title).get_by_role("link", name="Log in to vote (0 votes)").click()
    log_in(visitor, person)
    expect(visitor).to_have_url(re.compile(rf"/#post-{post_id}$"))
    card_vote(feed_card(visitor, title)).click()
    expect(visitor).to_have_url(re.compile(rf"/#post-{post_id}$"))
    expect(visitor.get_by_role("status")).to_contain_text("Thanks for your vote")
    expect(card_vote(feed_card(visitor, title))).to_have_accessible_name(
        "Withdraw your vote (1 vote)"
    )
