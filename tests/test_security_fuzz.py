"""A property-based fuzz: generated input at every form endpoint (hypothesis).

Whatever is sent: never a 5xx; a refusal is an HTML page that changes nothing; stored text stays
clean and vote counts add up. Form routes are found from app/web, so new forms are fuzzed too.
"""

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, Text, delete, func
from sqlmodel import Session, SQLModel, select

from app.models import LoginThrottle, Post, User, Vote
from app.security import csrf_token_for, session_handle
from app.services import posts as post_service
from app.services import sessions, users
from app.services.validation import clean_content, clean_email, clean_title, clean_username
from tests.conftest import PASSWORD, Browser, get_user, post_id_from
from tests.sectools import fill_path, form_routes, snapshot

URLENCODED = {"content-type": "application/x-www-form-urlencoded"}

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
    user = db.get(User, scene["alice_id"])
    if user is None:  # the fuzz deleted her account (with the right password): sign her up again
        user = users.register(
            session=db,
            settings=settings,
            username="alice",
            email="alice@example.com",
            password=PASSWORD,
        )
        scene["alice_id"], scene["alice_hash"] = user.id, user.password_hash
    if (user.username, user.email) != ("alice", "alice@example.com"):  # renamed by the fuzz
        user.username, user.username_key, user.email = "alice", "alice", "alice@example.com"
        db.add(user)
        db.commit()
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
                engine=db.get_bind(), settings=settings, token=scene.get(key + "_token"), kind="web"
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
        "alice_id": get_user(db, "alice").id,
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
