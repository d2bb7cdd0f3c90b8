"""Voting: a toggle, one vote per user per post, counted right."""

import threading

from sqlmodel import func, select

from app.models import Vote
from tests.conftest import get_post, post_id_from


def test_vote_toggles(alice, bob, db):
    post_id = post_id_from(alice.create_post("Vote on me", "please"))
    page = f"/posts/{post_id}"
    assert bob.submit(f"/posts/{post_id}/vote", page=page).status_code == 303
    html = bob.get(page).text
    assert "1 vote" in html and 'aria-pressed="true"' in html
    assert get_post(db, post_id).vote_count == 1
    bob.submit(f"/posts/{post_id}/vote", page=page)
    assert "0 votes" in bob.get(page).text
    assert get_post(db, post_id).vote_count == 0


def test_anonymous_cannot_vote(alice, make_browser, db):
    post_id = post_id_from(alice.create_post())
    anon = make_browser()
    response = anon.submit(f"/posts/{post_id}/vote", page="/login")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert db.exec(select(func.count()).select_from(Vote)).one() == 0


def test_cannot_vote_on_hidden_draft(alice, bob, db):
    post_id = post_id_from(alice.create_post(published=False))
    assert bob.submit(f"/posts/{post_id}/vote").status_code == 404
    assert db.exec(select(func.count()).select_from(Vote)).one() == 0


def test_database_enforces_one_vote(alice, bob, db, app):
    from app.services import votes

    post_id = post_id_from(alice.create_post())
    post = get_post(db, post_id)
    from tests.conftest import get_user

    user = get_user(db, "bob")
    assert votes.add(session=db, post=post, user=user) is True
    assert votes.add(session=db, post=post, user=user) is False
    assert db.exec(select(func.count()).select_from(Vote)).one() == 1
    assert get_post(db, post_id).vote_count == 1


def test_concurrent_double_vote_gives_one_row(alice, bob, db):
    post_id = post_id_from(alice.create_post())
    token = bob.token(f"/posts/{post_id}")
    barrier = threading.Barrier(2)
    results = []

    def vote() -> None:
        barrier.wait()
        results.append(
            bob.client.post(f"/posts/{post_id}/vote", data={"csrf_token": token}).status_code
        )

    threads = [threading.Thread(target=vote) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [303, 303]
    rows = db.exec(select(func.count()).select_from(Vote)).one()
    assert rows in (0, 1)
    assert get_post(db, post_id).vote_count == rows


def test_hole_11_the_author_sees_the_count_but_cannot_vote(alice, bob, db):
    post_id = post_id_from(alice.create_post("Mine", "text"))
    page = f"/posts/{post_id}"
    bob.submit(f"/posts/{post_id}/vote", page=page)
    html = alice.get(page).text
    assert f'action="/posts/{post_id}/vote"' not in html
    assert "1 vote (you cannot vote for your own post)" in html
    response = alice.submit(f"/posts/{post_id}/vote", page="/")
    assert response.status_code == 403
    assert "You cannot vote for your own post." in response.text
    assert get_post(db, post_id).vote_count == 1
