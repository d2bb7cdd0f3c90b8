"""Hostile input anywhere: huge bodies, long fields, huge integers, bad bytes, odd Unicode.

Every refusal is a 4xx page that says why and changes nothing; accepted text is stored as sent
and shown escaped. test_security_fuzz.py throws generated input at every form endpoint.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Post, User
from tests.conftest import PASSWORD, post_id_from
from tests.sectools import snapshot

URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


def posts_in(db: Session) -> int:
    return db.exec(select(func.count()).select_from(Post)).one()


def assert_clear_refusal(response, status: int | tuple[int, ...], text: str = "") -> None:  # type: ignore[no-untyped-def]
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.status_code
    assert response.headers["content-type"].startswith("text/html")
    assert 'class="site-header"' in response.text
    assert text in response.text


def test_body_over_the_limit_is_413(alice, db):
    token = alice.token("/posts/new")
    form = {"csrf_token": token, "title": "big", "content": "x" * 1_000_001}
    response = alice.client.post("/posts", data=form)
    assert_clear_refusal(response, 413, "larger than the 1,000 kB we accept")
    assert posts_in(db) == 0


def test_streamed_body_over_the_limit_is_413(alice, db):
    token = alice.token("/posts/new")

    def chunks():  # no Content-Length: the size is only known while reading
        yield f"csrf_token={token}&title=big&content=".encode()
        for _ in range(200):
            yield b"x" * 10_000

    response = alice.client.post("/posts", content=chunks(), headers=URLENCODED)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert_clear_refusal(response, 413, "larger than")
    assert posts_in(db) == 0


def test_body_limit_is_configurable(make_app):
    small = TestClient(make_app(max_body_bytes=2048), follow_redirects=False)
    assert small.post("/login", content=b"x" * 2049, headers=URLENCODED).status_code == 413
    assert "2 kB" in small.post("/login", content=b"x" * 4096, headers=URLENCODED).text
    response = small.post("/login", content=b"email=a&password=b", headers=URLENCODED)
    assert response.status_code == 403  # small enough: on to the CSRF check


@pytest.mark.parametrize(
    ("field", "value", "status", "message"),
    [
        ("title", "t" * 201, 422, "200 characters"),
        ("title", "t" * 150_000, 400, "at most 100000 characters"),
        ("content", "c" * 20_001, 422, "20,000 characters"),
        ("content", "c" * 500_000, 400, "at most 100000 characters"),
    ],
)
def test_over_long_post_fields(alice, db, field, value, status, message):
    form = {"title": "ok", "content": "ok", field: value}
    response = alice.submit("/posts", form, page="/posts/new")
    assert_clear_refusal(response, status, message)
    assert posts_in(db) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "u" * 5000, "3 to 30"),
        ("email", "e" * 300 + "@example.com", "valid email"),
        ("password", "p" * 90_000, "72 bytes"),
    ],
)
def test_over_long_registration_fields(make_browser, db, field, value, message):
    form = {"username": "carol", "email": "carol@example.com", "password": PASSWORD, field: value}
    response = make_browser().submit("/register", form, page="/register")
    assert_clear_refusal(response, 422, message)
    assert db.exec(select(func.count()).select_from(User)).one() == 0


def test_over_long_login_fields_are_the_generic_failure(alice, make_browser):
    for form in (
        {"email": "a" * 90_000, "password": "x"},
        {"email": "alice", "password": "p" * 90_000},
    ):
        assert_clear_refusal(make_browser().submit("/login", form, page="/login"), 400)


HUGE = [str(2**63), str(2**64), str(10**40), str(-(2**63) - 1), "-1", "0", "1e3", "0x10", "١٢"]


@pytest.mark.parametrize("number", HUGE)
def test_integers_past_sqlite_range_in_paths(alice, db, number):
    before = snapshot(db)
    for path in (f"/posts/{number}", f"/posts/{number}/edit", f"/posts/{number}/delete"):
        assert_clear_refusal(alice.get(path), (400, 404))
    for action in ("edit", "delete", "vote"):
        response = alice.submit(f"/posts/{number}/{action}", {"title": "x", "content": "y"})
        assert_clear_refusal(response, (400, 404))
    assert snapshot(db) == before


@pytest.mark.parametrize("number", HUGE)
def test_integers_past_sqlite_range_in_query_strings(alice, number):
    for page in ("/", "/users/alice"):
        assert_clear_refusal(alice.get(f"{page}?page={number}"), 400)


BAD_BODIES = [
    b"title=%FF%FE&content=ok",  # percent-encoded bytes that are not UTF-8
    b"title=\xff\xfe&content=ok",  # raw bytes that are not UTF-8
    b"title=%C0%AF&content=%ED%A0%80",  # overlong encoding and an encoded surrogate
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_form_bodies_that_are_not_utf8_are_refused(alice, db, body):
    token = alice.token("/posts/new").encode()
    response = alice.client.post(
        "/posts", content=b"csrf_token=" + token + b"&" + body, headers=URLENCODED
    )
    assert_clear_refusal(response, 400, "did not arrive as UTF-8")
    assert posts_in(db) == 0


@pytest.mark.parametrize(
    "title",
    [
        b"caf%C3%A9+%F0%9F%99%82",  # what browsers send
        "café 🙂".encode(),  # raw UTF-8, as `curl -d` sends it
        b"caf\xc3%A9 %F0\x9f\x99\x82",  # both mixed up
    ],
)
def test_utf8_form_bodies_are_stored_exactly(alice, db, title):
    token = alice.token("/posts/new").encode()
    body = b"csrf_token=" + token + b"&title=" + title + b"&content=ok&published=1"
    response = alice.client.post("/posts", content=body, headers=URLENCODED)
    assert response.status_code == 303
    assert db.exec(select(Post.title)).one() == "café 🙂"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"title": "bell\x07", "content": "ok"}, "title"),
        ({"title": "ok", "content": "a\x7fb"}, "content"),
        ({"title": "ok", "content": "escape \x1b[31m red"}, "content"),
    ],
)
def test_nul_and_control_characters_in_posts_are_refused(alice, db, form, field):
    response = alice.submit("/posts", {**form, "published": "1"}, page="/posts/new")
    assert_clear_refusal(response, 422, "control characters")
    assert f'id="{field}-error"' in response.text
    assert posts_in(db) == 0


NUL_REFUSED = "contains a NUL character (U+0000)"


def test_hole_08_nul_in_any_form_field_is_refused_at_the_edge(alice, make_browser, db):
    for form in (
        {"title": "a\x00b", "content": "ok"},
        {"title": "ok", "content": "a\x00b"},
        {"title": "ok", "content": "ok", "published": "\x00"},
    ):
        response = alice.submit("/posts", form, page="/posts/new")
        assert_clear_refusal(response, 400, NUL_REFUSED)
    for field in ("username", "email", "password"):
        register = {"username": "carol", "email": "carol@example.com", "password": PASSWORD}
        register[field] = "ca\x00rol" + register[field]
        response = make_browser().submit("/register", register, page="/register")
        assert_clear_refusal(response, 400, NUL_REFUSED)
    for login in (
        {"email": "alice\x00", "password": PASSWORD},
        {"email": "alice", "password": PASSWORD + "\x00"},
    ):
        response = make_browser().submit("/login", login, page="/login")
        assert_clear_refusal(response, 400, NUL_REFUSED)
    token = alice.token("/posts/new")
    raw = f"csrf_token={token}&title=a%00b&content=ok".encode()
    response = alice.client.post("/posts", content=raw, headers=URLENCODED)
    assert_clear_refusal(response, 400, NUL_REFUSED)
    files = {"title": (None, "a\x00b"), "content": (None, "ok"), "csrf_token": (None, token)}
    assert_clear_refusal(alice.client.post("/posts", files=files), 400, NUL_REFUSED)
    assert posts_in(db) == 0
    assert db.exec(select(func.count()).select_from(User)).one() == 1


NUL_IN_URLS = [
    "/api/posts?author=%00",
    "/api/posts?author=alice%00&search=x",
    "/api/posts?search=a%00",
    "/api/users/al%00ice",
    "/admin/posts?q=%00",
    "/admin/posts?author=%00",
    "/admin/posts.csv?q=%00",
    "/admin/audit?actor=%00",
    "/admin/users?q=a%00",
    "/search?q=%00",
    "/users/alice%00",
    "/?page=1%00",
]


@pytest.mark.parametrize("url", NUL_IN_URLS)
def test_hole_08_nul_in_a_url_is_a_clear_400_on_every_database(admin, url):
    response = admin.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.headers["content-type"] == "application/json"
        assert NUL_REFUSED in response.json()["detail"]
    else:
        assert_clear_refusal(response, 400, NUL_REFUSED)


def test_hole_08_nul_in_json_bodies_is_refused(alice_api, api, db):
    for body in (
        b'{"title": "a\\u0000b", "content": "ok"}',
        b'{"title": "ok", "content": "\\\\\\u0000"}',  # an escaped backslash, then \u0000
        b'{"title": "ok", "content": "a\x00b"}',
    ):
        for headers in ({"content-type": "application/json"}, {}):
            response = alice_api.post("/api/posts", content=body, headers=headers)
            assert response.status_code == 400, body
            assert NUL_REFUSED in response.json()["detail"]
    signup = b'{"username": "carol", "email": "carol@example.com", "password": "x\\u0000yz1234"}'
    assert api.client.post("/api/users", content=signup).status_code == 400
    token = api.client.post("/api/token", data={"username": "alice\x00", "password": PASSWORD})
    assert token.status_code == 400 and NUL_REFUSED in token.json()["detail"]
    assert posts_in(db) == 0
    # "\\u0000" is a backslash and then text: kept exactly as written.
    text = alice_api.create_post("ok", "a \\u0000 b")
    assert text["content"] == "a \\u0000 b"


@pytest.mark.parametrize(
    "url",
    [
        "/users/%FF%FE",
        "/users/%00",
        "/users/alice%00",
        "/users/%C0%AF",
        "/posts/%00",
        "/posts/1%00",
        "/posts/%F0%9F%99%82",
        "/%FF",
        "/?page=%00",
        "/?page=%FF",
        "/users/" + "a" * 5000,
    ],
)
def test_bad_bytes_in_urls_are_a_clear_4xx(alice, url):
    assert_clear_refusal(alice.get(url), (400, 404))


def test_bad_bytes_in_the_next_parameter_are_dropped(make_browser):
    b = make_browser()
    page = b.get("/login?next=%FF%FE/evil")
    assert page.status_code == 200 and 'name="next"' not in page.text
    assert_clear_refusal(b.get("/login?next=%FF%00/evil"), 400, NUL_REFUSED)


ODD_TEXT = [
    "مرحبا بالعالم",  # right to left
    "abc \u202eevil.exe\u202c def",  # right-to-left override
    "zero\u200bwidth\u200c join\u200d ok\u2060 \ufeffbom",
    "👩‍👩‍👧‍👦 🇺🇳 🙂 family",  # emoji with joiners and flags
    "e\u0301 n\u0303 Z\u0351\u0352\u0353algo",  # combining marks
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽",
]


@pytest.mark.parametrize("text", ODD_TEXT)
def test_odd_unicode_is_stored_and_shown_exactly(alice, make_browser, db, text):
    post_id = post_id_from(alice.create_post(text, text + "\nsecond line"))
    post = db.get(Post, post_id)
    assert (post.title, post.content) == (text, text + "\nsecond line")
    for page in (f"/posts/{post_id}", "/", "/users/alice"):
        assert text in make_browser().get(page).text
    assert f'value="{text}"' in alice.get(f"/posts/{post_id}/edit").text


def test_multipart_forms_are_handled_too(alice, db):
    token = alice.token("/posts/new")
    files = {
        "title": (None, "from multipart"),
        "content": (None, "body"),
        "csrf_token": (None, token),
    }
    assert alice.client.post("/posts", files=files).status_code == 303
    uploads = {"title": ("a.txt", b"x"), "content": ("b.txt", b"y")}
    response = alice.client.post("/posts", data={"csrf_token": token}, files=uploads)
    assert_clear_refusal(response, 400, "The title field must be text, not a file.")
    garbage = alice.client.post(
        "/posts", content=b"garbage", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert_clear_refusal(garbage, (400, 403))
    assert db.exec(select(Post.title)).all() == ["from multipart"]
