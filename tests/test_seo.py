"""What search engines and link previews read: meta tags, canonical URLs, robots.txt, sitemaps."""

import re
from xml.etree import ElementTree  # our own output, not untrusted input

import pytest
from fastapi.testclient import TestClient

from app.services import sitemap
from tests.conftest import Browser, post_id_from

SITE = "https://agora.example"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def site(make_app):  # type: ignore[no-untyped-def]
    app = make_app(site_url=SITE)
    with TestClient(app, follow_redirects=False) as client:
        yield Browser(client)


def meta(html: str, key: str) -> str:
    match = re.search(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)">', html)
    assert match, f"no {key} meta tag"
    return match.group(1)


def canonical(html: str) -> str:
    match = re.search(r'<link rel="canonical" href="([^"]*)">', html)
    assert match, "no canonical link"
    return match.group(1)


def test_every_page_describes_itself_for_search_results_and_previews(site):
    for url in ("/", "/login", "/register", "/top", "/tags", "/search"):
        html = site.get(url).text
        assert "a place to share what you think" in meta(html, "description"), url
        assert meta(html, "og:type") == "website"
        assert meta(html, "twitter:card") == "summary"
        assert meta(html, "og:url") == canonical(html)
        assert meta(html, "og:image").startswith(SITE + "/static/")


def test_a_post_is_previewed_with_its_excerpt_and_author(site):
    site.register("alice")
    post_id = post_id_from(site.create_post("Garden notes", "The **beans** are up & doing well."))
    html = site.get(f"/posts/{post_id}").text
    assert meta(html, "description") == "The beans are up &amp; doing well."
    assert meta(html, "og:title") == "Garden notes"
    assert meta(html, "og:type") == "article"
    assert meta(html, "author") == "alice"
    assert meta(html, "article:author") == f"{SITE}/users/alice"
    assert canonical(html) == f"{SITE}/posts/{post_id}"


def test_canonical_urls_come_from_site_url_never_the_host_header(site):
    for url, expected in (
        ("/", "/"),
        ("/?page=1", "/"),
        ("/?page=2&utm_source=x", "/?page=2"),
        ("/search?q=garden+notes", "/search?q=garden+notes"),
        ("/login?next=/posts/1", "/login"),
    ):
        html = site.get(url, headers={"Host": "evil.example"}).text
        assert canonical(html) == SITE + expected, url
        assert "evil.example" not in html, url
    assert "evil.example" not in site.get("/robots.txt", headers={"Host": "evil.example"}).text
    assert "evil.example" not in site.get("/sitemap.xml", headers={"Host": "evil.example"}).text


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_off_private_pages(site):
    response = site.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert {"Disallow: /account", "Disallow: /admin", "Disallow: /api/"} <= set(lines)
    # The login page may be crawled, not each of its "come back to" copies.
    assert "Disallow: /login?" in lines and "Disallow: /login" not in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


def locs(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(  # noqa: S314
        response.content
    )
    return [loc.text or "" for loc in root.iterfind(".//s:loc", NS)]


def test_the_sitemap_lists_published_posts_and_profiles_only(site, make_browser, db):
    from tests.conftest import get_user

    site.register("alice")
    public = post_id_from(site.create_post("Public", "yes"))
    draft = post_id_from(site.create_post("Draft", "no", published=False))
    site.logout()
    site.register("mallory")
    gone = post_id_from(site.create_post("Gone", "soon"))
    user = get_user(db, "mallory")
    user.is_active = False
    db.add(user)
    db.commit()
    listed = locs(site.get("/sitemap.xml"))
    assert f"{SITE}/posts/{public}" in listed and f"{SITE}/users/alice" in listed
    assert f"{SITE}/posts/{draft}" not in listed
    assert f"{SITE}/posts/{gone}" not in listed and f"{SITE}/users/mallory" not in listed
    assert "<lastmod>" in site.get("/sitemap.xml").text


def test_past_the_limit_the_sitemap_is_an_index_of_child_sitemaps(site, monkeypatch):
    site.register("alice")
    ids = [post_id_from(site.create_post(f"Post {n}", "x")) for n in range(3)]
    site.logout()
    site.register("bob")
    monkeypatch.setattr(sitemap, "LIMIT", 2)
    children = locs(site.get("/sitemap.xml"))
    assert children == [
        f"{SITE}/sitemaps/posts-1.xml",
        f"{SITE}/sitemaps/posts-2.xml",
        f"{SITE}/sitemaps/people-1.xml",
    ]
    assert ElementTree.fromstring(  # noqa: S314
        site.get("/sitemap.xml").content
    ).tag.endswith("sitemapindex")
    pages = [locs(site.get(child.removeprefix(SITE))) for child in children]
    assert pages[0] == [f"{SITE}/posts/{ids[0]}", f"{SITE}/posts/{ids[1]}"]
    assert pages[1] == [f"{SITE}/posts/{ids[2]}"]
    assert pages[2] == [f"{SITE}/users/alice", f"{SITE}/users/bob"]
    assert site.get("/sitemaps/posts-3.xml").status_code == 404
    assert site.get("/sitemaps/secrets-1.xml").status_code in (400, 404)
    assert site.get("/sitemaps/posts-0.xml").status_code in (400, 404)
