"""`make screenshots`: the feed, a post, its comments, the editor with an error, the login page,
search results and a post in Markdown, as PNGs.

Starts Agora on a fresh database, fills it with demo content through the services, and
photographs each page at desktop and phone width, in the light theme and (feed and post) dark.
"""

import argparse
import re
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from app.config import PROJECT_DIR, Settings
from tests.e2e.demo import FEATURED, PASSWORD, seed
from tests.e2e.harness import Site, chromium_launch_args, run_site

OUT = PROJECT_DIR / "docs" / "screenshots"
PAGES = ("feed", "post", "thread", "editor", "login")
DARK_PAGES = ("feed", "post")
# Desktop and light only: the README's pictures of search and of Markdown.
EXTRA_PAGES = ("search", "markdown-post")
MARKDOWN_POST = "Sunday bread report: the rye worked"
SIZES: dict[str, dict[str, Any]] = {
    # Wide enough for the feed's side column.
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def shoot(page: Page, path: Path) -> None:
    # No hover or focus ring in the picture.
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.screenshot(path=path)
    print(f"wrote {path}")


def photograph(
    browser: Browser,
    server: Site,
    post_ids: dict[str, int],
    size: str,
    theme: str,
    names: set[str],
    out: Path,
) -> None:
    post_id = post_ids[FEATURED]
    context = browser.new_context(base_url=server.url, color_scheme=theme, **SIZES[size])  # type: ignore[arg-type]
    page = context.new_page()
    suffix = size if theme == "light" else f"{size}-dark"
    if "login" in names:
        page.goto("/login")
        shoot(page, out / f"login-{suffix}.png")
    log_in(page, "sam")
    # Sam likes the featured post (through its vote button, once), so the picture shows a vote.
    page.goto(f"/posts/{post_id}")
    vote = page.get_by_role("button", name=re.compile(r"^Vote for this post"))
    if vote.count():
        vote.click()
        page.get_by_role("button", name=re.compile(r"^Withdraw your vote")).wait_for()
    if "feed" in names:
        page.goto("/")
        shoot(page, out / f"feed-{suffix}.png")
    if "post" in names:
        page.goto(f"/posts/{post_id}")
        shoot(page, out / f"post-{suffix}.png")
    if "thread" in names:
        page.goto(f"/posts/{post_id}#comments")
        shoot(page, out / f"thread-{suffix}.png")
    if "editor" in names:
        page.goto("/posts/new")
        page.get_by_label("Post", exact=True).fill(
            "Does anyone have a spare seed tray? Ours cracked over the winter."
        )
        page.get_by_role("button", name="Post", exact=True).click()
        page.get_by_role("alert").wait_for()
        shoot(page, out / f"editor-{suffix}.png")
    if "search" in names:
        page.goto("/search?q=garden")
        shoot(page, out / "search.png")
    if "markdown-post" in names:
        page.goto(f"/posts/{post_ids[MARKDOWN_POST]}")
        shoot(page, out / "markdown-post.png")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    parser.add_argument("--all-dark", action="store_true", help="every page in the dark theme too")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    dark = set(PAGES if options.all_dark else DARK_PAGES)

    with tempfile.TemporaryDirectory() as workdir, run_site(Path(workdir)) as server:
        settings = Settings(
            env="test", database_url=server.database_url, secret_key="x" * 48, bcrypt_rounds=4
        )
        post_ids = seed(settings)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**chromium_launch_args())  # type: ignore[arg-type]
            for size in SIZES:
                light = {*PAGES, *(EXTRA_PAGES if size == "desktop" else ())}
                photograph(browser, server, post_ids, size, "light", light, options.out)
                photograph(browser, server, post_ids, size, "dark", dark, options.out)
            browser.close()


if __name__ == "__main__":
    main()
