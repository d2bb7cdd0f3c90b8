"""Journey 16: the light/dark switch follows the system until chosen, then remembers the choice."""

from playwright.sync_api import Page, expect

from tests.e2e.flows import NewContext, new_person, register


def background(page: Page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


def test_journey16_the_theme_switch_remembers_the_choice(new_context: NewContext) -> None:
    page: Page = new_context(color_scheme="light").new_page()
    page.goto("/")
    switch = page.get_by_role("button", name="Dark theme")
    expect(switch).to_have_attribute("aria-pressed", "false")
    light = background(page)
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    dark = background(page)
    assert dark != light
    # The next page is dark from its first paint: the choice is applied by a blocking script in
    # <head> (the CSP allows no inline one), before the body exists.
    head_scripts = page.locator("head script[src*='theme.js']:not([defer]):not([async])")
    expect(head_scripts).to_have_count(1)
    page.goto("/login", wait_until="commit")
    page.wait_for_selector("html[data-theme=dark]", state="attached")
    page.wait_for_load_state()
    assert background(page) == dark
    # Choosing light on a dark system wins over the system too.
    page.emulate_media(color_scheme="dark")
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.reload()
    assert background(page) == light


def test_journey16_without_a_choice_the_system_setting_rules(new_context: NewContext) -> None:
    page: Page = new_context(color_scheme="dark").new_page()
    page.goto("/")
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("() => document.documentElement.dataset.theme") is None
    dark = background(page)
    page.emulate_media(color_scheme="light")
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "false")
    assert background(page) != dark


def test_journey16_without_javascript_there_is_no_dead_switch(new_context: NewContext) -> None:
    page: Page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    expect(page.get_by_role("button", name="Dark theme")).to_have_count(0)


def test_journey16_on_a_phone_the_switch_is_in_the_footer(new_context: NewContext) -> None:
    page: Page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    register(page, new_person("phonetheme"))  # the signed-in header is the fuller one
    switch = page.get_by_role("button", name="Dark theme")
    expect(switch).to_have_count(1)
    expect(page.locator(".site-footer").get_by_role("button", name="Dark theme")).to_be_visible()
    header = page.locator(".site-header .bar")
    overflow = header.evaluate("(bar) => bar.scrollWidth - bar.clientWidth")
    assert overflow <= 0, f"the header is {overflow}px too wide"
    switch.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
