"""New accounts' hourly limits on publishing posts and writing comments (app.services.newcomers):
a 429 that says when they can post again, on pages and in the API; older accounts are free."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.services import newcomers
from tests.conftest import get_user, post_id_from

AGAIN_RE = re.compile(r"You can (post|comment) again at (\d\d):(\d\d) UTC \(in (\d+) minutes?\)")


@pytest.fixture
def tight(settings):  # type: ignore[no-untyped-def]
    settings.new_account_posts_per_hour = 2
    settings.new_account_comments_per_hour = 3
    return settings


def later(monkeypatch, minutes: float) -> None:  # type: ignore[no-untyped-def]
    moved = datetime.now(UTC) + timedelta(minutes=minutes)
    monkeypatch.setattr(newcomers, "utcnow", lambda: moved)


def assert_says_when(text: str, verb: str) -> None:
    match = AGAIN_RE.search(text)
    assert match, text
    assert match.group(1) == verb and 59 <= int(match.group(4)) <= 60
    free_at = datetime.now(UTC) + timedelta(minutes=int(match.group(4)))
    assert (
        abs(free_at.hour * 60 + free_at.minute - int(match.group(2)) * 60 - int(match.group(3)))
        <= 1
    )


def test_a_new_account_past_its_posts_gets_a_429_page_saying_when(tight, alice, db, monkeypatch):
    for n in range(2):
        assert alice.create_post(f"Post {n}").status_code == 303
    refused = alice.create_post("One too many")
    assert refused.status_code == 429
    assert_says_when(refused.text, "post")
    assert 3500 <= int(refused.headers["retry-after"]) <= 3600
    assert "New accounts may publish 2 posts an hour" in refused.text
    assert "One too many" not in alice.get("/").text
    # Drafts are not publications: they are kept.
    assert alice.create_post("Kept for later", published=False).status_code == 303
    later(monkeypatch, 61)
    assert alice.create_post("An hour later").status_code == 303


def test_publishing_a_draft_counts_as_a_post(tight, alice, db):
    draft = post_id_from(alice.create_post("Draft", published=False))
    for n in range(2):
        alice.create_post(f"Post {n}")
    refused = alice.submit(
        f"/posts/{draft}/edit",
        {"title": "Draft", "content": "Now public", "published": "1"},
        page=f"/posts/{draft}/edit",
    )
    assert refused.status_code == 429
    assert_says_when(refused.text, "post")
    db.expire_all()
    from app.models import Post

    assert db.get(Post, draft).published is False


def test_the_api_answers_429_with_retry_after_and_the_json_error_shape(tight, make_api):
    api = make_api("carol")
    api.create_post("One")
    draft = api.create_post("Draft", published=False)
    api.create_post("Two")
    refused = api.post("/api/posts", json={"title": "Three", "content": "x", "published": True})
    assert refused.status_code == 429
    assert set(refused.json()) == {"detail"}
    assert_says_when(refused.json()["detail"], "post")
    assert 3500 <= int(refused.headers["retry-after"]) <= 3600
    publish = api.patch(f"/api/posts/{draft['id']}", json={"published": True})
    assert publish.status_code == 429 and "Retry-After" in publish.headers


def test_a_new_account_past_its_comments_gets_a_429(tight, alice, bob, make_api, monkeypatch):
    post = post_id_from(alice.create_post("Talk"))
    for n in range(3):
        sent = bob.submit(
            f"/posts/{post}/comments", {"content": f"Comment {n}"}, page=f"/posts/{post}"
        )
        assert sent.status_code == 303
    refused = bob.submit(f"/posts/{post}/comments", {"content": "Spam"}, page=f"/posts/{post}")
    assert refused.status_code == 429
    assert_says_when(refused.text, "comment")
    assert "Spam" not in alice.get(f"/posts/{post}").text
    api = make_api()
    api.log_in("bob")
    answer = api.post(f"/api/posts/{post}/comments", json={"content": "Spam again"})
    assert answer.status_code == 429 and set(answer.json()) == {"detail"}
    assert int(answer.headers["retry-after"]) > 0
    later(monkeypatch, 61)
    assert api.post(f"/api/posts/{post}/comments", json={"content": "Later"}).status_code == 201


def test_older_accounts_are_not_limited(tight, alice, db):
    user = get_user(db, "alice")
    user.created_at = datetime.now(UTC) - timedelta(hours=tight.new_account_hours, minutes=1)
    db.add(user)
    db.commit()
    for n in range(4):
        assert alice.create_post(f"Post {n}").status_code == 303
    post = post_id_from(alice.create_post("Talk"))
    for n in range(5):
        sent = alice.submit(
            f"/posts/{post}/comments", {"content": f"Note {n}"}, page=f"/posts/{post}"
        )
        assert sent.status_code == 303


def test_the_defaults_are_five_posts_and_twenty_comments():
    from app.config import Settings

    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (defaults.new_account_posts_per_hour, defaults.new_account_comments_per_hour) == (5, 20)
    assert defaults.new_account_hours == 24 and defaults.invites_per_member == 5
    assert defaults.registration == "open"


def test_a_burst_of_posts_at_once_never_passes_the_limit(tight, app, alice, db):
    from sqlmodel import Session

    from app.models import Post, User
    from app.services import Throttled, posts

    author_id = get_user(db, "alice").id
    results: list[str] = []
    barrier = threading.Barrier(6)

    def publish(n: int) -> None:
        with Session(app.state.engine, expire_on_commit=False) as session:
            session.info[newcomers.SESSION_KEY] = newcomers.Limits.of(tight)
            author = session.get(User, author_id)
            assert author is not None
            barrier.wait()
            try:
                posts.create(
                    session=session, owner=author, title=f"Burst {n}", content="x", published=True
                )
                results.append("ok")
            except Throttled:
                results.append("throttled")

    workers = [threading.Thread(target=publish, args=(n,)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == ["ok"] * 2 + ["throttled"] * 4
    db.expire_all()
    assert len(db.exec(select(Post).where(Post.owner_id == author_id)).all()) == 2
