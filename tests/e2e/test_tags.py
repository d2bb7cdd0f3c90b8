"""Journey: tag a post, follow the tag from its page, and read it in the Following feed."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.flows import NewContext, new_person, register


def test_tag_a_post_follow_the_tag_and_see_it_in_following(
    page: Page, new_context: NewContext
) -> None:
    register(page, new_person("tagger"))
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("Sourdough starter after a week")
    page.get_by_label("Post", exact=True).fill("Bubbly at last.")
    # Capitals are lowered and repeats dropped, silently.
    page.get_by_label("Tags").fill("Baking bread baking")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Your post is published")
    tags = page.get_by_role("list", name="Tags")
    expect(tags.get_by_role("link")).to_have_text(["baking", "bread"])

    reader = new_context().new_page()
    register(reader, new_person("reader"))
    reader.get_by_role("link", name="Following").click()
    expect(reader.get_by_role("article").filter(has_text="Sourdough starter")).to_have_count(0)

    # From the card in Latest to the tag's page, and follow it there.
    reader.get_by_role("link", name="Latest").click()
    card = reader.get_by_role("article").filter(has_text="Sourdough starter after a week")
    card.get_by_role("link", name="bread").click()
    expect(reader).to_have_url(re.compile(r"/t/bread$"))
    expect(reader.get_by_role("heading", level=1)).to_contain_text("bread")
    expect(reader.get_by_text("1 post", exact=False)).to_be_visible()
    reader.get_by_role("button", name="Follow").click()
    expect(reader.get_by_role("status")).to_contain_text("You follow bread now")
    expect(reader.get_by_role("button", name="Unfollow")).to_have_attribute("aria-pressed", "true")

    reader.get_by_role("link", name="Agora home").click()
    reader.get_by_role("link", name="Following").click()
    expect(
        reader.get_by_role("article").filter(has_text="Sourdough starter after a week")
    ).to_be_visible()


def test_a_bad_tag_is_a_field_error_in_the_editor(page: Page) -> None:
    register(page, new_person("oddtags"))
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("Odd tags")
    page.get_by_label("Post", exact=True).fill("Words.")
    page.get_by_label("Tags").fill("c++")
    page.get_by_role("button", name="Post", exact=True).click()
    field = page.get_by_label("Tags")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(page.locator("#tags-error")).to_contain_text("only letters a-z, digits and '-'")
    expect(field).to_have_value("c++")
