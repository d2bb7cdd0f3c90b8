"""Journey 9: journey 1 on a phone, with nothing wider than the screen."""

from playwright.sync_api import Page

from tests.e2e.flows import (
    NewContext,
    assert_no_horizontal_scroll,
    new_person,
    write_find_open_edit,
)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_journey09_phone_width(new_context: NewContext) -> None:
    page: Page = new_context(**PHONE).new_page()
    page.goto("/")
    assert page.evaluate("() => window.innerWidth") == 390
    assert_no_horizontal_scroll(page)
    write_find_open_edit(page, new_person("phone"), check=assert_no_horizontal_scroll)
