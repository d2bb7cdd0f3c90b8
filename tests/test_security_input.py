"""Hostile input anywhere: huge bodies, long fields, huge integers, bad bytes, odd Unicode.

Every refusal is a 4xx page that says why and changes nothing; accepted text is stored as sent
and shown escaped. The last test throws generated input at every form endpoint.
"""

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, Text, delete, func
from sqlmodel import Session, SQLModel, select

from app.models import LoginThrottle, Post, User, Vote
from app.security import csrf_token_for, session_handle
from app.services import posts as post_service
from app.services import sessions
from app.services.validation import clean_content, clean_email, clean_title, clean_username
from tests.conftest import PASSWORD, Browser, get_user, post_id_from
from tests.sectools import fill_path, form_routes, snapshot

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
    b"title=caf\xc3\xa9&content=ok",  # raw UTF-8: browsers always percent-encode
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


def test_percent_encoded_utf8_is_stored_exactly(alice, db):
    token = alice.token("/posts/new").encode()
    body = b"csrf_token=" + token + b"&title=caf%C3%A9+%F0%9F%99%82&content=ok&published=1"
    response = alice.client.post("/posts", content=body, headers=URLENCODED)
    assert response.status_code == 303
    assert db.exec(select(Post.title)).one() == "café 🙂"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"title": "a\x00b", "content": "ok"}, "title"),
        ({"title": "ok", "content": "a\x00b"}, "content"),
        ({"title": "bell\x07", "content": "ok"}, "title"),
        ({"title": "ok", "content": "escape \x1b[31m red"}, "content"),
    ],
)
def test_nul_and_control_characters_in_posts_are_refused(alice, db, form, field):
    response = alice.submit("/posts", {**form, "published": "1"}, page="/posts/new")
    assert_clear_refusal(response, 422, "control characters")
    assert f'id="{field}-error"' in response.text
    assert posts_in(db) == 0


def test_nul_bytes_in_account_fields(alice, make_browser, db):
    register = {"username": "ca\x00rol", "email": "carol@example.com", "password": PASSWORD}
    assert_clear_refusal(make_browser().submit("/register", register, page="/register"), 422)
    register = {"username": "carol", "email": "ca\x00rol@example.com", "password": PASSWORD}
    assert_clear_refusal(make_browser().submit("/register", register, page="/register"), 422)
    register = {"username": "carol", "email": "carol@example.com", "password": PASSWORD + "\x00"}
    assert_clear_refusal(make_browser().submit("/register", register, page="/register"), 422)
    for login in (
        {"email": "alice\x00", "password": PASSWORD},
        {"email": "alice", "password": PASSWORD + "\x00"},
    ):
        assert_clear_refusal(make_browser().submit("/login", login, page="/login"), 400)
    assert db.exec(select(func.count()).select_from(User)).one() == 1


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
    page = b.get("/login?next=%FF%00/evil")
    assert page.status_code == 200 and 'name="next"' not in page.text


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
    assert_clear_refusal(response, 400, "valid string")
    garbage = alice.client.post(
        "/posts", content=b"garbage", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert_clear_refusal(garbage, (400, 403))
    assert db.exec(select(Post.title)).all() == ["from multipart"]


# --- property-based: generated input at every form endpoint --------------------------------

ROUTES = form_routes()
SPECIAL = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e",
    "\u200b",
    "🙂",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "%FF",
    "../../etc/passwd",
    "/",
    "//evil.example",
    "javascript:alert(1)",
    "x" * 73,
    "t" * 201,
    "c" * 20_001,
    "é" * 40,
    str(2**63),
    "-1",
    "1",
    "true",
]
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(SPECIAL),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def good_values(scene: dict) -> dict[str, st.SearchStrategy[str]]:  # type: ignore[type-arg]
    """Values that often succeed, so the fuzz reaches past validation as well as into it."""
    name = st.from_regex(r"[a-z][a-z0-9_]{2,12}", fullmatch=True)
    return {
        "title": st.sampled_from(["A title", "café 🙂", "x"]),
        "content": st.sampled_from(["Some text", "multi\nline", "مرحبا"]),
        "published": st.sampled_from(["1", "", "on"]),
        "username": name,
        "email": st.one_of(
            st.sampled_from(["alice@example.com", "ALICE", "bob@example.com"]),
            name.map(lambda n: f"{n}@example.com"),
        ),
        "password": st.sampled_from([PASSWORD, "another long passphrase"]),
        "current_password": st.just(PASSWORD),
        "new_password": st.just("another long passphrase"),
        "confirm_password": st.just("another long passphrase"),
        "next": st.sampled_from(["/", "/account", "https://evil.example"]),
        "session_id": st.just(scene["second_handle"]),
    }


def restore(scene: dict, db: Session) -> None:  # type: ignore[type-arg]
    """Put the fixed cast back: alice logged in (twice), her post and bob's, no throttle locks."""
    app, settings, alice = scene["app"], scene["settings"], scene["alice"]
    db.rollback()
    db.expire_all()
    user = get_user(db, "alice")
    if user.password_hash != scene["alice_hash"]:
        user.password_hash = scene["alice_hash"]
        db.add(user)
        db.commit()
    db.exec(delete(LoginThrottle))  # type: ignore[call-overload]
    db.commit()
    for key, owner in (("alice_post", user), ("bob_post", get_user(db, "bob"))):
        if db.get(Post, scene[key]) is None:
            scene[key] = post_service.create(
                session=db, owner=owner, title="Restored", content="again", published=True
            ).id
    for key in ("jti", "second_jti"):
        if (
            sessions.resolve(
                session=db, settings=settings, token=scene.get(key + "_token"), kind="web"
            )
            is None
        ):
            token, row = sessions.start(session=db, settings=settings, user=user, kind="web")
            scene[key], scene[key + "_token"] = row.jti, token
    alice.client.cookies.clear()
    alice.client.cookies.set("agora_session", scene["jti_token"])
    scene["csrf"] = csrf_token_for("s:" + scene["jti"], settings.signing_key)
    scene["second_handle"] = session_handle(scene["second_jti"])
    assert app is not None


def check_invariants(db: Session) -> None:
    """What must hold whatever was sent: clean stored text, counters that add up."""
    db.rollback()
    for table in SQLModel.metadata.sorted_tables:
        text_columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        for row in db.execute(select(*text_columns)).all() if text_columns else []:
            assert not any(isinstance(v, str) and "\x00" in v for v in row), table.name
    for user in db.exec(select(User)).all():
        assert clean_username(user.username) == user.username
        assert clean_email(user.email) == user.email
    for post in db.exec(select(Post)).all():
        assert clean_title(post.title) == post.title
        assert clean_content(post.content) == post.content
        votes = db.exec(select(func.count()).select_from(Vote).where(Vote.post_id == post.id))
        assert votes.one() == post.vote_count
    db.rollback()


@pytest.fixture
def scene(app, settings, db, make_browser):  # type: ignore[no-untyped-def]
    alice = make_browser()
    alice.register("alice")
    bob = make_browser()
    bob.register("bob")
    cast = {
        "app": app,
        "settings": settings,
        "alice": alice,
        "alice_hash": get_user(db, "alice").password_hash,
        "alice_post": post_id_from(alice.create_post("Alice's", "post")),
        "bob_post": post_id_from(bob.create_post("Bob's", "post")),
        "second_handle": "",
    }
    restore(cast, db)
    return cast


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_every_form_endpoint(scene, db, make_browser, route, data):
    restore(scene, db)
    goods = good_values(scene)
    # Mostly plausible forms with one hostile field, so the fuzz gets past validation too.
    mode = data.draw(st.sampled_from(["plausible", "one hostile", "one hostile", "all hostile"]))
    target = data.draw(st.sampled_from(route.fields)) if route.fields else None
    form = {}
    for field in route.fields:
        hostile = mode == "all hostile" or (mode == "one hostile" and field == target)
        strategy = hostile_text if hostile else goods.get(field, hostile_text)
        form[field] = data.draw(strategy, label=field)
    form.update(data.draw(st.dictionaries(hostile_text, hostile_text, max_size=2), label="extra"))
    token = data.draw(st.sampled_from(["valid", "valid", "valid", "missing", "other"]))
    as_anonymous = data.draw(st.booleans(), label="anonymous")
    client = make_browser().client if as_anonymous else scene["alice"].client
    if token == "valid":
        form["csrf_token"] = Browser(client).token("/login") if as_anonymous else scene["csrf"]
    elif token == "other":
        form["csrf_token"] = csrf_token_for("s:someone-else", scene["settings"].signing_key)
    post_id = data.draw(
        st.one_of(
            st.sampled_from([scene["alice_post"], scene["bob_post"]]),
            st.integers(min_value=-(2**70), max_value=2**70),
        ),
        label="post id",
    )
    path = fill_path(route, post_id)

    before = snapshot(db)
    if data.draw(st.integers(0, 9), label="raw body") == 0:
        raw = data.draw(st.binary(max_size=300), label="raw")
        body = f"csrf_token={form.get('csrf_token', '')}&".encode() + raw
        response = client.post(path, content=body, headers=URLENCODED)
    else:
        response = client.post(path, data=form)

    event(f"status {response.status_code}")
    assert response.status_code < 500, response.text[:500]
    refused = response.status_code >= 400 or response.headers.get("location", "").startswith(
        "/login"
    )
    if refused:
        assert snapshot(db) == before
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("text/html")
            assert "<h1" in response.text and 'class="site-header"' in response.text
    check_invariants(db)
