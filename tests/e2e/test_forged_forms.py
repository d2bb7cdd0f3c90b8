"""Journey 6: a page on another origin that auto-submits forms to Agora changes nothing."""

import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from app.models import Post, Vote
from tests.e2e.flows import NewContext, new_person, register, vote_button, write_post
from tests.e2e.harness import Site

FORGED_TITLE = "Free prizes for everyone, click here"


class EvilSite:
    """A second web server on another port; each path serves a form that submits itself."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                body = pages.get(self.path, "not here").encode()
                self.send_response(200 if self.path in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add_form(self, path: str, action: str, fields: dict[str, str]) -> None:
        inputs = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
            for k, v in fields.items()
        )
        self.pages[path] = (
            "<!doctype html><title>You won!</title>"
            f'<form method="post" action="{escape(action)}">{inputs}</form>'
            "<script>document.forms[0].submit()</script>"
        )


@pytest.fixture
def evil_site() -> Iterator[EvilSite]:
    site = EvilSite()
    site.thread.start()
    yield site
    site.httpd.shutdown()
    site.httpd.server_close()


def _counts(server: Site, post_id: int) -> tuple[int, int]:
    engine = create_engine(server.database_url)
    try:
        with Session(engine) as session:
            forged = session.exec(
                select(func.count()).select_from(Post).where(Post.title == FORGED_TITLE)
            ).one()
            votes = session.exec(
                select(func.count()).select_from(Vote).where(Vote.post_id == post_id)
            ).one()
    finally:
        engine.dispose()
    return forged, votes


# 127.0.0.1 on another port is another origin of the same site: the login cookie goes along and
# only the origin check and the CSRF token stand in the way. "localhost" is another site.
@pytest.mark.parametrize("evil_host", ["127.0.0.1", "localhost"])
def test_journey06_forged_forms_create_no_post_and_no_vote(
    page: Page,
    new_context: NewContext,
    evil_site: EvilSite,
    agora_server: Site,
    evil_host: str,
) -> None:
    # The attacker has an account, a post to boost, and a valid form token of her own.
    attacker_page = new_context().new_page()
    register(attacker_page, new_person("mallory"))
    target_id = write_post(attacker_page, "Please vote for me", "Pretty please.")
    attacker_page.get_by_role("link", name="New post").click()
    her_token = attacker_page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert her_token

    agora = agora_server.url
    evil_site.add_form(
        "/prize.html",
        f"{agora}/posts",
        {"title": FORGED_TITLE, "content": "Spam", "published": "1", "csrf_token": her_token},
    )
    evil_site.add_form("/vote.html", f"{agora}/posts/{target_id}/vote", {"csrf_token": her_token})
    evil_site.add_form("/vote-no-token.html", f"{agora}/posts/{target_id}/vote", {})

    # The victim is logged in; this context visits another site on purpose.
    victim_page = new_context(record_requests=False).new_page()
    register(victim_page, new_person("victim"))
    for path in ("/prize.html", "/vote.html", "/vote-no-token.html"):
        with victim_page.expect_response(
            lambda r: r.url.startswith(agora) and r.request.method == "POST"
        ) as forged:
            victim_page.goto(f"http://{evil_host}:{evil_site.port}{path}")
        assert forged.value.status == 403, (path, forged.value.status)
        expect(victim_page.get_by_role("heading", name="Not allowed")).to_be_visible()

    assert _counts(agora_server, target_id) == (0, 0)
    victim_page.goto(f"{agora}/")
    expect(victim_page.get_by_text(FORGED_TITLE)).to_have_count(0)
    victim_page.goto(f"{agora}/posts/{target_id}")
    expect(vote_button(victim_page)).to_have_accessible_name("Vote for this post (0 votes)")
