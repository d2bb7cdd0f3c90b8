"""Voting: a toggle, one vote per user per post, counted right."""

import re
import threading

from sqlmodel import func, select

from app.models import Vote
from tests.conftest import get_post, get_user, post_id_from


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


FEED_FORM = re.compile(
    r'<form method="post" action="/posts/(\d+)/vote" class="vote-form" data-vote-post>(.*?)</form>',
    re.S,
)


def test_signed_in_people_vote_from_the_feed_and_come_back_to_the_card(alice, bob, db):
    first = post_id_from(alice.create_post("First", "one"))
    for n in range(21):  # a second page, so "back" keeps the page as well as the card
        alice.create_post(f"More {n}", "x")
    html = bob.get("/?page=2").text
    forms = dict(FEED_FORM.findall(html))
    assert str(first) in forms
    assert f'name="next" value="/?page=2#post-{first}"' in forms[str(first)]
    assert f'id="post-{first}"' in html
    # One form token for the whole page, the same in every card.
    assert len(set(re.findall(r'name="csrf_token" value="([0-9a-f]+)"', html))) == 1
    response = bob.submit(f"/posts/{first}/vote", {"next": f"/?page=2#post-{first}"}, page="/")
    assert response.status_code == 303
    assert response.headers["location"] == f"/?page=2#post-{first}"
    assert get_post(db, first).vote_count == 1
    after = dict(FEED_FORM.findall(bob.get("/?page=2").text))[str(first)]
    assert 'aria-pressed="true"' in after and "Withdraw your vote (1 vote)" in after
    # The author sees the count in the feed, with no form to vote for their own post.
    own = alice.get("/?page=2").text
    assert f'action="/posts/{first}/vote"' not in own
    assert "1 vote (you cannot vote for your own post)" in own


def test_a_script_votes_from_the_feed_without_a_reload(alice, bob, db):
    post_id = post_id_from(alice.create_post("Script", "vote"))
    token = bob.token("/")
    headers = {"Accept": "application/json"}
    answer = bob.client.post(
        f"/posts/{post_id}/vote", data={"csrf_token": token, "next": "/"}, headers=headers
    )
    assert answer.status_code == 200
    assert answer.json() == {"voted": True, "votes": 1, "message": "Thanks for your vote."}
    assert "no-store" in answer.headers["cache-control"]
    again = bob.client.post(f"/posts/{post_id}/vote", data={"csrf_token": token}, headers=headers)
    assert again.json() == {"voted": False, "votes": 0, "message": "Your vote is withdrawn."}
    assert get_post(db, post_id).vote_count == 0
    # Still a form post: without its token the script's request changes nothing.
    forged = bob.client.post(f"/posts/{post_id}/vote", data={}, headers=headers)
    assert forged.status_code == 403 and get_post(db, post_id).vote_count == 0


def test_visitors_get_a_login_link_in_the_feed_and_no_cookie(alice, make_browser):
    post_id = post_id_from(alice.create_post("Anyone", "can read"))
    visitor = make_browser()
    for url in ("/", "/top", "/?page=1"):
        response = visitor.get(url)
        assert "set-cookie" not in response.headers, url
        assert "vote-form" not in response.text and "csrf_token" not in response.text
    html = visitor.get("/?page=1").text
    assert f'href="/login?next=/%3Fpage%3D1%23post-{post_id}"' in html
    assert "Log in to vote (0 votes)" in html
    login = visitor.get(f"/login?next=/%3Fpage%3D1%23post-{post_id}")
    assert f'value="/?page=1#post-{post_id}"' in login.text


def test_feed_cards_stay_shared_by_every_viewer(alice, bob, make_browser):
    from app.templating import _cached_card

    alice.create_post("Shared", "card")
    bob.get("/")
    before = _cached_card.cache_info()
    alice.get("/")
    make_browser().get("/")
    after = _cached_card.cache_info()
    assert after.currsize == before.currsize and after.hits == before.hits + 2


def test_a_page_of_any_length_shows_which_posts_the_viewer_votes_for(alice, bob, app, db):
    from app.services import votes

    ids = [post_id_from(alice.create_post(f"Post {n}", "x")) for n in range(45)]
    chosen = {ids[0], ids[19], ids[20], ids[44]}  # either side of each chunk's edge
    for post_id in chosen:
        bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    bob_id = get_user(db, "bob").id
    engine = app.state.engine
    assert votes.voted_among(engine=engine, user_id=bob_id, post_ids=ids) == chosen
    assert votes.voted_among(engine=engine, user_id=bob_id, post_ids=ids[1:19]) == frozenset()
    assert votes.voted_among(engine=engine, user_id=bob_id, post_ids=[]) == frozenset()
