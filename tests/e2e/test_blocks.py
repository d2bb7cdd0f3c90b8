"""Journey: block someone from their profile, see their post leave the feed, unblock them from
the account page and see it come back."""

from playwright.sync_api import Page, expect

from tests.e2e.flows import NewContext, new_person, register, write_post


def test_block_from_a_profile_then_unblock_from_the_account_page(
    page: Page, new_context: NewContext
) -> None:
    loud = new_person("loud")
    register(page, loud)
    write_post(page, "Shouting about hedges", "HEDGES!")

    reader = new_context().new_page()
    register(reader, new_person("quiet"))
    card = reader.get_by_role("article").filter(has_text="Shouting about hedges")
    expect(card).to_be_visible()

    reader.goto(f"/users/{loud.username}")
    reader.get_by_role("button", name=f"Block {loud.username}").click()
    expect(reader.get_by_role("status")).to_contain_text(f"You blocked {loud.username}")
    expect(reader.get_by_role("button", name=f"Unblock {loud.username}")).to_be_visible()
    expect(reader.get_by_role("button", name="Follow")).to_have_count(0)

    reader.get_by_role("link", name="Agora home").click()
    expect(reader.get_by_role("article").filter(has_text="Shouting about hedges")).to_have_count(0)

    reader.goto("/account")
    reader.get_by_role("link", name="Muted and blocked people").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Muted and blocked people")
    reader.get_by_role("button", name=f"Unblock {loud.username}").click()
    expect(reader.get_by_role("status")).to_contain_text(f"You no longer block {loud.username}")
    expect(reader.get_by_text("You mute or block nobody")).to_be_visible()

    reader.get_by_role("link", name="Agora home").click()
    expect(reader.get_by_role("article").filter(has_text="Shouting about hedges")).to_be_visible()
