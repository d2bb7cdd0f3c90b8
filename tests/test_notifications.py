"""Notifications and mentions on the pages: who is told of what, once, and what they see."""

import re

import pytest
from sqlmodel import Session, func, select

from app.models import Mention, Notification
from app.services import inbox, posts
from tests.conftest import CSRF_RE, PASSWORD, get_post, get_user, post_id_from, set_role
from tests.test_comments import comment_on

BADGE_RE = re.compile(
    r'href="/notifications"[^>]*>(?:(?!</a>).)*?>Notifications</span>'
    r'(?: <span class="badge">([^<]+)<)?',
    re.S,
)


def unread_badge(browser) -> str | None:  # type: ignore[no-untyped-def]
    """The header's unread count as the page shows it (None: no badge)."""
    match = BADGE_RE.search(browser.get("/").text)
    assert match, "no notifications link in the header"
    return match.group(1)


def listed(db: Session, username: str) -> list[tuple[str, str | None]]:
    """(kind, actor) of what `username` sees on their notifications page, newest first."""
    user = get_user(db, username)
    assert user.id is not None
    return [
        (row.kind, row.actor) for row in inbox.page(engine=db.get_bind(), user_id=user.id).items
    ]


def rows(db: Session) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(Notification)).one())


@pytest.fixture
def carol(make_browser):  # type: ignore[no-untyped-def]
    b = make_browser()
    assert b.register("carol").status_code == 303
    return b


@pytest.fixture
def post_id(alice) -> int:  # type: ignore[no-untyped-def]
    return post_id_from(alice.create_post("Tomatoes", "How do you grow them?"))


# --- each kind --------------------------------------------------------------------------------


def test_a_comment_tells_the_post_author_and_a_reply_the_comment_author(
    alice, bob, carol, post_id, db
):
    first = comment_on(bob, post_id, "In full sun.")
    comment_on(carol, post_id, "And water daily.", parent_id=first)
    assert listed(db, "alice") == [("reply_post", "bob")]
    assert listed(db, "bob") == [("reply_comment", "carol")]
    page = alice.get("/notifications").text
    assert "commented on your post &ldquo;Tomatoes&rdquo;" in page
    assert "replied to your comment" in bob.get("/notifications").text


def test_a_new_follower_and_a_vote_milestone_are_announced(alice, bob, post_id, db):
    assert bob.submit("/users/alice/follow", page="/users/alice").status_code == 303
    assert bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}").status_code == 303
    assert listed(db, "alice") == [("milestone", None), ("follow", "bob")]
    page = alice.get("/notifications").text
    assert "bob</strong> started following you" in page
    assert "reached 1 vote" in page


def test_a_milestone_is_told_once_even_when_the_vote_is_withdrawn_and_given_again(
    alice, bob, post_id, db
):
    for _ in range(3):  # vote, withdraw, vote
        bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    alice.submit("/notifications/read", page="/notifications")
    bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    bob.submit(f"/posts/{post_id}/vote", page=f"/posts/{post_id}")
    assert [kind for kind, _ in listed(db, "alice")] == ["milestone"]
    assert rows(db) == 1


def test_only_powers_of_ten_are_milestones():
    from app.services.notifications import is_milestone

    assert [n for n in range(0, 1001) if is_milestone(n)] == [1, 10, 100, 1000]


# --- never for one's own doing, one unread per kind, actor and item ---------------------------


def test_nobody_is_told_of_their_own_actions(alice, post_id, db):
    own = comment_on(alice, post_id, "Replying to myself, @alice.")
    comment_on(alice, post_id, "Again.", parent_id=own)
    alice.create_post("Me", "Hello @alice")
    assert listed(db, "alice") == []
    assert unread_badge(alice) is None


def test_follow_unfollow_follow_again_leaves_one_unread_notification(alice, bob, db):
    for _ in range(2):
        bob.submit("/users/alice/follow", page="/users/alice")
        bob.submit("/users/alice/unfollow", page="/users/alice")
    bob.submit("/users/alice/follow", page="/users/alice")
    assert listed(db, "alice") == [("follow", "bob")]
    assert rows(db) == 1
    # Once read, a new follow is news again.
    alice.submit("/notifications/read", page="/notifications")
    bob.submit("/users/alice/unfollow", page="/users/alice")
    bob.submit("/users/alice/follow", page="/users/alice")
    assert rows(db) == 2 and unread_badge(alice) == "1"


# --- mentions ---------------------------------------------------------------------------------


def test_a_mention_links_to_the_profile_and_tells_them(alice, bob, post_id, db):
    comment_id = comment_on(alice, post_id, "What do you think, @bob? And @nobody_here?")
    page = alice.get(f"/posts/{post_id}").text
    assert '<a class="mention" href="/users/bob">@bob</a>' in page
    assert "@nobody_here" in page and 'href="/users/nobody_here"' not in page
    assert listed(db, "bob") == [("mention", "alice")]
    assert "mentioned you in a comment on &ldquo;Tomatoes&rdquo;" in bob.get("/notifications").text
    assert comment_id


def test_a_name_in_code_stays_text_and_tells_nobody(alice, bob, post_id, db):
    comment_on(alice, post_id, "Try `@bob` or\n\n```\n@bob\n```\n\nor an email bob@example.com")
    page = alice.get(f"/posts/{post_id}").text
    assert "<code>@bob</code>" in page and 'href="/users/bob"' not in page
    assert listed(db, "bob") == []


def test_a_mention_in_a_draft_tells_them_when_it_is_published(alice, bob, db):
    response = alice.create_post("Later", "Thanks @bob", published=False)
    draft = post_id_from(response)
    assert listed(db, "bob") == []
    edit = {"title": "Later", "content": "Thanks @bob", "published": "1"}
    assert (
        alice.submit(f"/posts/{draft}/edit", edit, page=f"/posts/{draft}/edit").status_code == 303
    )
    assert listed(db, "bob") == [("mention", "alice")]
    # Edited again, the post tells nobody twice.
    edit["content"] = "Thanks again @bob"
    alice.submit("/notifications/read", page="/notifications")
    bob.submit("/notifications/read", page="/notifications")
    alice.submit(f"/posts/{draft}/edit", edit, page=f"/posts/{draft}/edit")
    assert rows(db) == 1


def test_an_edit_tells_only_the_people_it_names_for_the_first_time(alice, bob, carol, post_id, db):
    comment_id = comment_on(alice, post_id, "Hi @bob")
    bob.submit("/notifications/read", page="/notifications")
    edited = {"content": "Hi @bob and @carol"}
    response = alice.submit(
        f"/comments/{comment_id}/edit", edited, page=f"/comments/{comment_id}/edit"
    )
    assert response.status_code == 303
    assert listed(db, "carol") == [("mention", "alice")]
    assert unread_badge(bob) is None


def test_five_hundred_names_tell_ten_people_and_the_page_still_shows(
    make_browser, alice, post_id, db
):
    names = [f"user{i:03d}" for i in range(12)]
    for name in names:
        assert make_browser().register(name).status_code == 303
    text = " ".join(f"@{name}" for name in names) + " " + " ".join(f"@ghost{i}" for i in range(488))
    comment_on(alice, post_id, text)
    told = db.exec(select(Notification.recipient_id).where(Notification.kind == "mention")).all()
    assert len(told) == 10
    page = alice.get(f"/posts/{post_id}")
    assert page.status_code == 200
    assert page.text.count('class="mention"') == 12  # every existing person still links


def test_a_rename_keeps_the_link_and_the_old_name_hands_nothing_to_its_new_owner(
    alice, bob, post_id, make_browser, db
):
    comment_id = comment_on(alice, post_id, "Ask @bob")
    alice.get(f"/posts/{post_id}")  # rendered and cached under bob's name
    form = {"username": "robert", "email": "bob@example.com", "current_password": PASSWORD}
    assert bob.submit("/account/profile", form, page="/account/profile").status_code == 303
    page = alice.get(f"/posts/{post_id}").text
    assert '<a class="mention" href="/users/robert">@robert</a>' in page
    newcomer = make_browser()
    assert newcomer.register("bob", email="newbob@example.com").status_code == 303
    edited = {"content": "Ask @bob, please"}
    alice.submit(f"/comments/{comment_id}/edit", edited, page=f"/comments/{comment_id}/edit")
    page = alice.get(f"/posts/{post_id}").text
    assert 'href="/users/robert">@robert</a>, please' in page
    assert 'href="/users/bob"' not in page
    assert listed(db, "bob") == []
    assert listed(db, "robert") == [("mention", "alice")]
    assert db.exec(select(func.count()).select_from(Mention)).one() == 1


# --- what stays listed ------------------------------------------------------------------------


def test_a_hidden_posts_notifications_leave_the_list_and_the_count(alice, bob, post_id, db):
    comment_on(bob, post_id, "Nice.")
    bob.submit("/users/alice/follow", page="/users/alice")
    assert unread_badge(alice) == "2"
    moderator = set_role(db, "bob", "moderator")
    post = get_post(db, post_id)
    assert post is not None
    posts.hide(session=db, post=post, actor=moderator, reason="Spam")
    assert listed(db, "alice") == [("follow", "bob")]
    assert unread_badge(alice) == "1"
    posts.restore(session=db, post=post, actor=moderator)
    assert unread_badge(alice) == "2"


def test_a_deleted_comment_and_an_unavailable_actor_leave_the_list(alice, bob, carol, post_id, db):
    comment_id = comment_on(bob, post_id, "Nice.")
    carol.submit("/users/alice/follow", page="/users/alice")
    assert (
        bob.submit(
            f"/comments/{comment_id}/delete", page=f"/comments/{comment_id}/delete"
        ).status_code
        == 303
    )
    assert listed(db, "alice") == [("follow", "carol")]
    user = get_user(db, "carol")
    user.is_active = False
    db.add(user)
    db.commit()
    assert listed(db, "alice") == []
    assert unread_badge(alice) is None


def test_deleting_an_account_deletes_the_notifications_to_and_from_it(alice, bob, post_id, db):
    comment_on(bob, post_id, "Nice.")
    alice.submit("/users/bob/follow", page="/users/bob")
    assert rows(db) == 2
    response = bob.submit("/account/delete", {"current_password": PASSWORD}, page="/account/delete")
    assert response.status_code == 303
    assert rows(db) == 0


# --- preferences ------------------------------------------------------------------------------


def test_a_kind_turned_off_is_not_written_and_the_rest_still_are(alice, bob, post_id, db):
    page = alice.get("/account/notifications").text
    assert page.count("checked") == 6  # every kind, by default
    kinds = {"kinds": ["reply_post", "reply_comment", "mention", "milestone"]}
    response = alice.submit("/account/notifications", kinds, page="/account/notifications")
    assert response.status_code == 303
    assert 'value="follow">' in alice.get("/account/notifications").text
    bob.submit("/users/alice/follow", page="/users/alice")
    comment_on(bob, post_id, "Nice.")
    assert listed(db, "alice") == [("reply_post", "bob")]
    export = alice.get("/account/export").json()
    assert export["notification_settings"]["follow"] is False
    assert export["notification_settings"]["mention"] is True


# --- the page and the header ------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_lands_on_the_comment(alice, bob, post_id, db):
    comment_id = comment_on(bob, post_id, "Nice.")
    assert unread_badge(alice) == "1"
    page = alice.get("/notifications").text
    assert "notification unread" in page and "Mark all as read" in page
    (notification_id,) = re.findall(r'action="/notifications/(\d+)/open"', page)
    response = alice.submit(f"/notifications/{notification_id}/open", page="/notifications")
    assert response.status_code == 303
    assert response.headers["location"] == f"/comments/{comment_id}"
    assert (
        alice.get(f"/comments/{comment_id}").headers["location"].endswith(f"#comment-{comment_id}")
    )
    assert unread_badge(alice) is None
    assert "notification unread" not in alice.get("/notifications").text


def test_each_listed_notification_carries_its_readers_token_and_escaped_words(
    alice, bob, make_browser, db
):
    """The items are kept by what they show (app.templating.notification_list): the same item
    drawn for another page still gets that page's token, and a title is text, never markup."""
    title = '<script>alert("x")</script> & more'
    post_id = post_id_from(alice.create_post(title, "x"))
    comment_on(bob, post_id, "Nice.")
    first = alice.get("/notifications").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in first
    assert "<script>alert" not in first
    # The same account from a second browser: another session, another token, same items.
    other = make_browser()
    other.login()
    second = other.get("/notifications").text
    tokens = [set(CSRF_RE.findall(page)) for page in (first, second)]
    assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]
    (notification_id,) = re.findall(r'action="/notifications/(\d+)/open"', second)
    response = other.submit(f"/notifications/{notification_id}/open", page="/notifications")
    assert response.status_code == 303


def test_nobody_opens_another_persons_notification(alice, bob, post_id):
    comment_on(bob, post_id, "Nice.")
    (notification_id,) = re.findall(
        r'action="/notifications/(\d+)/open"', alice.get("/notifications").text
    )
    response = bob.submit(f"/notifications/{notification_id}/open", page="/notifications")
    assert response.status_code == 404
    assert unread_badge(alice) == "1"


def test_opening_needs_the_form_token(alice, bob, post_id):
    comment_on(bob, post_id, "Nice.")
    (notification_id,) = re.findall(
        r'action="/notifications/(\d+)/open"', alice.get("/notifications").text
    )
    response = alice.client.post(f"/notifications/{notification_id}/open")
    assert response.status_code == 403
    assert unread_badge(alice) == "1"


def test_the_page_is_for_logged_in_people_and_says_when_it_is_empty(browser, alice):
    response = browser.get("/notifications")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert "No notifications yet." in alice.get("/notifications").text
    assert "Mark all as read" not in alice.get("/notifications").text


def test_the_header_counts_to_ninety_nine_plus_and_pages_the_list(alice, make_browser, db):
    alice_id = get_user(db, "alice").id
    for i in range(101):
        db.add(
            Notification(recipient_id=alice_id, kind="follow", dedupe_key=f"t{i}", actor_id=None)
        )
    db.commit()
    assert unread_badge(alice) == "99+"
    first = alice.get("/notifications").text
    assert first.count('class="card notification unread"') == 20
    assert 'rel="next" href="/notifications?page=2"' in first
    assert "Mark all as read" in first
    alice.submit("/notifications/read", page="/notifications")
    assert unread_badge(alice) is None
    assert alice.get("/notifications?page=6").text.count('class="card notification"') == 1


def test_named_again_under_a_new_name_is_not_news_again(alice, bob, post_id, db):
    comment_id = comment_on(alice, post_id, "Ask @bob")
    bob.submit("/notifications/read", page="/notifications")
    form = {"username": "robert", "email": "bob@example.com", "current_password": PASSWORD}
    bob.submit("/account/profile", form, page="/account/profile")
    edited = {"content": "Ask @bob, or rather @robert"}
    alice.submit(f"/comments/{comment_id}/edit", edited, page=f"/comments/{comment_id}/edit")
    assert rows(db) == 1
    assert unread_badge(bob) is None
