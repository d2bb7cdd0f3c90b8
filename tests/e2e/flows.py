"""What a person does on Agora, one click at a time, for the journeys to reuse."""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)
# The `new_context` fixture: keyword arguments as for Browser.new_context.
NewContext = Callable[..., BrowserContext]


@dataclass(frozen=True)
class Person:
    username: str
    email: str
    password: str = PASSWORD


def new_person(name: str) -> Person:
    """A person nobody has registered yet (the server's database lives for the whole session)."""
    username = f"{name}{next(_numbers)}"
    return Person(username=username, email=f"{username}@example.com")


def register(page: Page, person: Person) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to Agora, {person.username}")


def log_in(page: Page, person: Person) -> None:
    """Fill in the login form on the current page (the login page itself)."""
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    page.get_by_label("Email or username").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {person.username}")


def open_user_menu(page: Page) -> None:
    """Open the header's user menu (the viewer's name): Account, Admin and Log out live there."""
    menu = page.locator(".site-header details.user-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page: Page) -> None:
    open_user_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out")
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()


def write_post(page: Page, title: str, content: str, publish: bool = True) -> int:
    """Write a post from the header's "New post" link; returns its id."""
    page.get_by_role("link", name="New post").click()
    expect(page.get_by_role("heading", name="Write a post")).to_be_visible()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Post", exact=True).fill(content)
    page.get_by_label("Publish now").set_checked(publish)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    match = re.search(r"/posts/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def vote_button(page: Page) -> Locator:
    return page.get_by_role("button", name=re.compile(r"^(Vote for|Withdraw your vote)"))


def assert_no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def _no_check(page: Page) -> None:
    pass


def write_find_open_edit(
    page: Page, person: Person, check: Callable[[Page], Any] = _no_check
) -> int:
    """Journey 1: register, write a post, find it in the feed, open it, edit it, see the change.

    `check(page)` runs on every page along the way (the phone journey checks the layout there).
    """
    register(page, person)
    check(page)
    title = f"Notes from the allotment, week {next(_numbers)}"
    post_id = write_post(page, title, "The beans are up.\nThe slugs are winning.")
    expect(page.get_by_role("status")).to_contain_text("Your post is published")
    check(page)

    page.get_by_role("link", name="Agora home").click()
    card = page.get_by_role("article").filter(has_text=title)
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name=person.username)).to_be_visible()
    check(page)
    card.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}$"))
    expect(page.locator(".post-content")).to_have_text("The beans are up.\nThe slugs are winning.")
    check(page)

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name="Edit your post")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(title)
    check(page)
    page.get_by_label("Post", exact=True).fill("The beans are up.\nThe slugs have left.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Your changes are saved")
    expect(page.locator(".post-content")).to_have_text("The beans are up.\nThe slugs have left.")
    check(page)
    return post_id
