"""Comments on the pages: threads, replies, edits, deletion, removal, votes and the counters."""

import re
import threading

import pytest
from sqlmodel import Session, func, select

from app.models import AuditLog, Comment, CommentVote, Post
from app.services import comments, threads
from tests.conftest import get_post, get_user, post_id_from, set_role

ANCHOR_RE = re.compile(r"/posts/(\d+)(?:\?page=\d+)?#comment-(\d+)$")


def comment_on(browser, post_id: int, content: str, parent_id: int | None = None) -> int:  # type: ignore[no-untyped-def]
    data = {"content": content}
    if parent_id is not None:
        data["parent_id"] = str(parent_id)
    response = browser.submit(f"/posts/{post_id}/comments", data, page=f"/posts/{post_id}")
    assert response.status_code == 303, response.text
    match = ANCHOR_RE.search(response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(2))


def all_comments(db: Session) -> list[Comment]:
    db.expire_all()
    return list(db.exec(select(Comment).order_by(Comment.id)).all())  # type: ignore[arg-type]


def counter(db: Session, post_id: int) -> int:
    post = get_post(db, post_id)
    assert post is not None
    return post.comment_count


@pytest.fixture
def post_id(alice) -> int:  # type: ignore[no-untyped-def]
    return post_id_from(alice.create_post("Tomatoes", "How do you grow them?"))


def test_a_comment_lands_on_its_anchor_and_shows_under_the_post(alice, bob, post_id, db):
    assert "0 comments" in alice.get("/").text  # the card is now cached with its count
    response = bob.submit(
        f"/posts/{post_id}/comments", {"content": "In *full* sun."}, page=f"/posts/{post_id}"
    )
    assert response.status_code == 303
    comment_id = all_comments(db)[0].id
    assert response.headers["location"] == f"/posts/{post_id}#comment-{comment_id}"
    page = alice.get(f"/posts/{post_id}").text
    assert f'id="comment-{comment_id}"' in page
    assert "<em>full</em>" in page
    assert "1 comment" in page
    assert counter(db, post_id) == 1
    # The feed's card shows the new count: the count is part of the cached card's key.
    feed = alice.get("/").text
    assert "1 comment<" in feed and "0 comments" not in feed


def test_replies_nest_and_deep_ones_say_whom_they_answer(alice, bob, post_id):
    parent = comment_on(bob, post_id, "level 0")
    for level in range(1, 9):
        author = alice if level % 2 else bob
        parent = comment_on(author, post_id, f"level {level}", parent)
    page = alice.get(f"/posts/{post_id}")
    entries = page.context["thread"].items
    assert [entry.indent for entry in entries] == [0, 1, 2, 3, 4, 5, 6, 6, 6]
    assert [entry.reply_to for entry in entries][:7] == [None] * 7
    # Level 7 answers alice's level 6 comment; level 8 answers bob's level 7 one.
    assert [entry.reply_to for entry in entries][7:] == ["bob", "alice"]
    assert 'in reply to <a href="/users/alice">@alice</a>' in page.text


def test_reply_link_opens_a_form_without_javascript(alice, bob, post_id):
    comment_id = comment_on(bob, post_id, "First!")
    page = alice.get(f"/posts/{post_id}").text
    assert f'href="/posts/{post_id}/comments/{comment_id}/reply"' in page
    form = alice.get(f"/posts/{post_id}/comments/{comment_id}/reply")
    assert form.status_code == 200
    assert f'name="parent_id" value="{comment_id}"' in form.text
    assert "First!" in form.text
    reply_id = comment_on(alice, post_id, "Second.", comment_id)
    entries = alice.get(f"/posts/{post_id}").context["thread"].items
    assert [(e.row.id, e.row.parent_id, e.indent) for e in entries] == [
        (comment_id, None, 0),
        (reply_id, comment_id, 1),
    ]


def test_oldest_first_or_best_first(alice, bob, make_browser, post_id):
    first = comment_on(bob, post_id, "first")
    second = comment_on(bob, post_id, "second")
    carol = make_browser()
    carol.register("carol")
    carol.submit(f"/comments/{second}/vote", page=f"/posts/{post_id}")
    oldest = alice.get(f"/posts/{post_id}").context["thread"].items
    best = alice.get(f"/posts/{post_id}?sort=best").context["thread"].items
    assert [e.row.id for e in oldest] == [first, second]
    assert [e.row.id for e in best] == [second, first]
    assert alice.get(f"/posts/{post_id}?sort=worst").status_code == 400


def test_long_threads_page_by_top_level_comments_and_permalinks_find_them(
    alice, bob, post_id, monkeypatch
):
    monkeypatch.setattr(threads, "ROOTS_PER_PAGE", 2)
    roots = [comment_on(bob, post_id, f"root {n}") for n in range(5)]
    reply = comment_on(alice, post_id, "a reply on page 2", roots[2])
    first = alice.get(f"/posts/{post_id}").context["thread"]
    assert [e.row.id for e in first.items] == roots[:2] and first.has_next
    second = alice.get(f"/posts/{post_id}?page=2").context["thread"]
    # A page never breaks a thread: the reply is with its root.
    assert [e.row.id for e in second.items] == [roots[2], reply, roots[3]]
    response = alice.get(f"/comments/{reply}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/posts/{post_id}?page=2#comment-{reply}"
    assert alice.get(f"/comments/{roots[0]}").headers["location"] == (
        f"/posts/{post_id}#comment-{roots[0]}"
    )
    assert f"/posts/{post_id}?page=2" in alice.get(f"/posts/{post_id}").text
    assert "There is nothing on page 9" in alice.get(f"/posts/{post_id}?page=9").text


def test_the_author_edits_and_the_page_says_edited(alice, bob, post_id, db):
    comment_id = comment_on(bob, post_id, "Full shade.")
    assert "edited" not in alice.get(f"/posts/{post_id}").text.split("comments-heading")[1]
    assert alice.get(f"/comments/{comment_id}/edit").status_code == 403
    response = bob.submit(f"/comments/{comment_id}/edit", {"content": "Full sun."})
    assert response.status_code == 303
    page = alice.get(f"/posts/{post_id}").text
    assert "Full sun." in page and "Full shade." not in page
    assert "<span>edited</span>" in page
    # Another user's forged edit changes nothing.
    forged = alice.submit(f"/comments/{comment_id}/edit", {"content": "Mine now"})
    assert forged.status_code == 403
    assert all_comments(db)[0].content == "Full sun."


def test_deleting_a_comment_with_replies_keeps_the_shape(alice, bob, post_id, db):
    parent = comment_on(bob, post_id, "bob's words")
    reply = comment_on(alice, post_id, "alice answers", parent)
    assert counter(db, post_id) == 2
    assert bob.get(f"/comments/{parent}/delete").status_code == 200
    assert bob.submit(f"/comments/{parent}/delete").status_code == 303
    page = alice.get(f"/posts/{post_id}").text
    assert "[deleted]" in page and "bob's words" not in page and "alice answers" in page
    kept = all_comments(db)[0]
    assert kept.deleted and kept.content == "" and kept.author_id is None
    assert counter(db, post_id) == 1
    # The reply goes; the place-holder, now answering nobody, goes with it.
    assert alice.submit(f"/comments/{reply}/delete").status_code == 303
    assert all_comments(db) == []
    assert counter(db, post_id) == 0
    assert "[deleted]" not in alice.get(f"/posts/{post_id}").text


def test_deleting_a_comment_without_replies_removes_it(alice, bob, post_id, db):
    comment_id = comment_on(bob, post_id, "gone soon")
    assert alice.submit(f"/comments/{comment_id}/delete").status_code == 403
    bob.submit(f"/comments/{comment_id}/delete")
    assert all_comments(db) == []
    assert "[deleted]" not in alice.get(f"/posts/{post_id}").text
    assert alice.get(f"/comments/{comment_id}").status_code == 404


def test_a_moderator_removes_a_comment_with_a_reason_the_author_sees(
    alice, bob, moderator, post_id, db
):
    comment_id = comment_on(bob, post_id, "rude words")
    assert alice.get(f"/comments/{comment_id}/remove").status_code == 403
    assert alice.submit(f"/comments/{comment_id}/remove", {"reason": "x"}).status_code == 403
    assert moderator.get(f"/comments/{comment_id}/remove").status_code == 200
    empty = moderator.submit(f"/comments/{comment_id}/remove", {"reason": "  "})
    assert empty.status_code == 422 and "Say why" in empty.text
    assert (
        moderator.submit(f"/comments/{comment_id}/remove", {"reason": "Be kind."}).status_code
        == 303
    )
    db.expire_all()
    entries = db.exec(select(AuditLog).where(AuditLog.action == "comment.remove")).all()
    assert [(e.target_type, e.target_id, e.actor_name) for e in entries] == [
        ("comment", comment_id, "mod")
    ]
    assert "rude words" in (entries[0].before or "")
    assert "rude words" not in alice.get(f"/posts/{post_id}").text
    assert "[removed by a moderator]" in alice.get(f"/posts/{post_id}").text
    assert "Be kind." not in alice.get(f"/posts/{post_id}").text
    assert "Be kind." in bob.get(f"/posts/{post_id}").text
    assert counter(db, post_id) == 0


BAD_INPUT = [
    ({"content": ""}, 422, "Write something in your comment"),
    ({"content": " \n\t "}, 422, "Write something in your comment"),
    ({"content": "x" * 10_001}, 422, "Keep the comment to 10,000 characters"),
    ({"content": "ok", "parent_id": "abc"}, 422, "not a comment you can reply to"),
    ({"content": "ok", "parent_id": "-1"}, 422, "not a comment you can reply to"),
    ({"content": "ok", "parent_id": "9" * 30}, 422, "not a comment you can reply to"),
    ({"content": "ok", "parent_id": "999"}, 422, "not on this post"),
]


@pytest.mark.parametrize(("form", "status", "message"), BAD_INPUT)
def test_bad_comments_are_refused_with_a_message_and_change_nothing(
    bob, post_id, db, form, status, message
):
    response = bob.submit(f"/posts/{post_id}/comments", form, page=f"/posts/{post_id}")
    assert response.status_code == status
    assert message in response.text
    # The form comes back with the input kept.
    if form["content"].strip() and len(form["content"]) < 100:
        assert form["content"] in response.text
    assert all_comments(db) == []
    assert counter(db, post_id) == 0


def test_replies_to_another_posts_or_a_deleted_comment_are_refused(alice, bob, post_id, db):
    other = post_id_from(alice.create_post("Other", "post"))
    elsewhere = comment_on(bob, other, "on the other post")
    refused = bob.submit(
        f"/posts/{post_id}/comments", {"content": "hi", "parent_id": str(elsewhere)}, page="/"
    )
    assert refused.status_code == 422 and "not on this post" in refused.text
    parent = comment_on(bob, post_id, "soon deleted")
    comment_on(alice, post_id, "a reply keeps it", parent)
    bob.submit(f"/comments/{parent}/delete")
    refused = bob.submit(
        f"/posts/{post_id}/comments", {"content": "hi", "parent_id": str(parent)}, page="/"
    )
    assert refused.status_code == 422 and "was deleted" in refused.text
    assert bob.get(f"/posts/{post_id}/comments/{parent}/reply").status_code == 404
    assert len(all_comments(db)) == 3
    assert counter(db, post_id) == 1


def test_a_double_submit_makes_one_comment(bob, post_id, db):
    comment_on(bob, post_id, "only once")
    again = bob.submit(f"/posts/{post_id}/comments", {"content": "only once"}, page="/")
    assert again.status_code == 409 and "You just posted this comment" in again.text
    assert len(all_comments(db)) == 1
    assert counter(db, post_id) == 1
    # Different words are a different comment.
    comment_on(bob, post_id, "another thought")
    assert counter(db, post_id) == 2


def test_concurrent_double_submits_make_one_comment_and_the_counter_stays_right(
    app, bob, post_id, db
):
    bob_user = get_user(db, "bob")
    post = get_post(db, post_id)
    results: list[str] = []
    barrier = threading.Barrier(6)

    def submit(text: str) -> None:
        with Session(app.state.engine, expire_on_commit=False) as session:
            author = session.get(type(bob_user), bob_user.id)
            target = session.get(Post, post.id)  # type: ignore[union-attr]
            barrier.wait()
            try:
                comments.create(session=session, author=author, post=target, content=text)  # type: ignore[arg-type]
                results.append("ok")
            except comments.Conflict:
                results.append("conflict")

    workers = [threading.Thread(target=submit, args=("same",)) for _ in range(3)]
    workers += [threading.Thread(target=submit, args=(f"other {n}",)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == ["conflict", "conflict", "ok", "ok", "ok", "ok"]
    assert len(all_comments(db)) == 4
    assert counter(db, post_id) == comments.standing(session=db, post_id=post_id) == 4


def test_no_comments_on_drafts_or_hidden_posts(alice, bob, moderator, db):  # noqa: PLR0915
    draft = post_id_from(alice.create_post("Draft", "secret", published=False))
    assert "Comments open once the post is published" in alice.get(f"/posts/{draft}").text
    refused = alice.submit(f"/posts/{draft}/comments", {"content": "me"}, page="/")
    assert refused.status_code == 409
    assert bob.submit(f"/posts/{draft}/comments", {"content": "hi"}, page="/").status_code == 404
    public = post_id_from(alice.create_post("Public", "text"))
    comment_id = comment_on(bob, public, "seen while public")
    response = moderator.submit(
        "/admin/posts/apply", {"action": "hide", "ids": str(public), "reason": "spam"}
    )
    assert response.status_code == 303, response.text
    assert get_post(db, public).hidden_at is not None  # type: ignore[union-attr]
    # The comment went with the post: to everyone but the post's author, it never was.
    assert bob.get(f"/comments/{comment_id}").status_code == 404
    assert bob.submit(f"/posts/{public}/comments", {"content": "x"}, page="/").status_code == 404
    assert "seen while public" not in bob.get("/users/bob").text
    assert all_comments(db)[0].content == "seen while public"


def test_deleting_a_post_deletes_its_comments(alice, bob, post_id, db):
    parent = comment_on(bob, post_id, "a")
    comment_on(alice, post_id, "b", parent)
    alice.submit(f"/comments/{parent}/vote", page="/")
    assert alice.submit(f"/posts/{post_id}/delete").status_code == 303
    assert all_comments(db) == []
    assert db.exec(select(func.count()).select_from(CommentVote)).one() == 0


def test_comment_votes_one_per_person_never_ones_own(alice, bob, post_id, db):
    comment_id = comment_on(bob, post_id, "vote for me")
    assert bob.submit(f"/comments/{comment_id}/vote", page="/").status_code == 403
    response = alice.submit(f"/comments/{comment_id}/vote", page="/")
    assert response.status_code == 303
    assert response.headers["location"] == f"/posts/{post_id}#comment-{comment_id}"
    assert all_comments(db)[0].vote_count == 1
    assert 'aria-pressed="true"' in alice.get(f"/posts/{post_id}").text
    alice.submit(f"/comments/{comment_id}/vote", page="/")
    assert all_comments(db)[0].vote_count == 0
    assert db.exec(select(func.count()).select_from(CommentVote)).one() == 0


def test_get_never_changes_a_comment(alice, bob, post_id, db):
    comment_id = comment_on(bob, post_id, "stays")
    for url in (f"/comments/{comment_id}/delete", f"/comments/{comment_id}/vote"):
        alice.get(url)
        bob.get(url)
    assert [c.content for c in all_comments(db)] == ["stays"]
    assert all_comments(db)[0].vote_count == 0


def test_account_deletion_keeps_other_peoples_words_and_fixes_counters(
    alice, bob, make_browser, admin, db
):
    carol = make_browser()
    carol.register("carol")
    post_id = post_id_from(alice.create_post("Alice's post", "text"))
    answered = comment_on(bob, post_id, "bob, answered")
    comment_on(carol, post_id, "carol replies", answered)
    lonely = comment_on(bob, post_id, "bob, alone")
    carol_comment = comment_on(carol, post_id, "carol alone")
    bob.submit(f"/comments/{carol_comment}/vote", page="/")
    bobs_post = post_id_from(bob.create_post("Bob's post", "text"))
    comment_on(carol, bobs_post, "on bob's post")
    assert counter(db, post_id) == 4
    bob_id = get_user(db, "bob").id
    response = admin.submit(f"/admin/users/{bob_id}/delete")
    assert response.status_code == 303, response.text
    rows = {c.id: c for c in all_comments(db)}
    assert lonely not in rows
    assert rows[answered].deleted and rows[answered].author_id is None
    assert rows[answered].content == ""
    assert rows[carol_comment].vote_count == 0
    assert counter(db, post_id) == comments.standing(session=db, post_id=post_id) == 2
    page = alice.get(f"/posts/{post_id}").text
    assert "[deleted]" in page and "carol replies" in page and "bob, alone" not in page


def test_a_deactivated_authors_comments_leave_the_page(alice, bob, admin, post_id, db):
    comment_id = comment_on(bob, post_id, "bob was here")
    set_role(db, "bob", "user")
    user = get_user(db, "bob")
    user.is_active = False
    db.add(user)
    db.commit()
    page = alice.get(f"/posts/{post_id}").text
    assert "bob was here" not in page
    reply_form = alice.get(f"/posts/{post_id}/comments/{comment_id}/reply")
    assert reply_form.status_code == 404 and "bob was here" not in reply_form.text
    refused = alice.submit(
        f"/posts/{post_id}/comments", {"content": "hi", "parent_id": str(comment_id)}, page="/"
    )
    assert refused.status_code == 422


def test_profiles_list_recent_comments_on_public_posts(alice, bob, post_id):
    comment_id = comment_on(bob, post_id, "my *recent* thought")
    draft = post_id_from(alice.create_post("Later draft", "x"))
    comment_on(bob, draft, "on a post soon a draft")
    alice.submit(
        f"/posts/{draft}/edit", {"title": "Later draft", "content": "x"}, page=f"/posts/{draft}"
    )
    profile = alice.get("/users/bob").text
    assert "Recent comments" in profile
    assert f'href="/comments/{comment_id}"' in profile
    assert "my recent thought" in profile
    # ...in the page, not in its <title>.
    assert re.search(r"<title>\s*bob\b[^<]*</title>", profile)
    assert "on a post soon a draft" not in profile and "Later draft" not in profile


def test_comment_text_is_escaped(alice, bob, post_id):
    comment_on(bob, post_id, "<script>alert(1)</script> [x](javascript:alert(1))")
    page = alice.get(f"/posts/{post_id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page


def test_anonymous_visitors_read_comments_and_are_asked_to_log_in(
    alice, bob, make_browser, post_id
):
    browser = make_browser()
    comment_id = comment_on(bob, post_id, "hello")
    page = browser.get(f"/posts/{post_id}").text
    assert "hello" in page and "Log in to comment" in page
    assert f"/login?next=/posts/{post_id}/comments/{comment_id}/reply" in page
    response = browser.submit(f"/posts/{post_id}/comments", {"content": "anon"}, page="/login")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_data_export_and_the_delete_pages_count_ones_comments(alice, bob, post_id):
    import json

    parent = comment_on(bob, post_id, "bob's comment")
    comment_on(alice, post_id, "alice's reply", parent)
    data = json.loads(bob.get("/account/export").text)
    assert [(c["id"], c["post_id"], c["content"]) for c in data["comments"]] == [
        (parent, post_id, "bob's comment")
    ]
    assert "alice's reply" not in json.dumps(data)
    assert "1 comment you wrote" in bob.get("/account/delete").text


def test_a_comment_gets_the_posts_render_budget(alice, bob, post_id, db, make_api):
    from tests.test_markdown import BUDGET_ERROR

    links = "[a] " * 2_000
    amplified = f"[a]: /{'x' * (9_990 - len(links))}\n\n{links}"
    assert len(amplified) <= 10_000
    refused = bob.submit(f"/posts/{post_id}/comments", {"content": amplified}, page="/")
    assert refused.status_code == 422 and BUDGET_ERROR in refused.text
    alice_api = make_api().log_in("alice")
    api = alice_api.post(f"/api/posts/{post_id}/comments", json={"content": amplified})
    assert api.status_code == 422 and BUDGET_ERROR in api.text
    assert all_comments(db) == []


def test_deactivation_takes_comments_out_of_the_shown_count_and_back(
    alice, bob, make_browser, admin, post_id, db
):
    carol = make_browser()
    carol.register("carol")
    answered = comment_on(bob, post_id, "bob, answered")
    comment_on(carol, post_id, "carol replies", answered)
    comment_on(bob, post_id, "bob again")
    bobs_post = post_id_from(bob.create_post("Bob's post", "text"))
    comment_on(bob, bobs_post, "bob on his own post")
    assert "3 comments" in alice.get(f"/posts/{post_id}").text
    assert "3 comments<" in alice.get("/").text  # the cached card too
    bob_id = get_user(db, "bob").id
    assert (
        admin.submit(f"/admin/users/{bob_id}/suspend", {"duration": "forever"}).status_code == 303
    )
    page = alice.get(f"/posts/{post_id}").text
    assert "1 comment<" in page and "bob again" not in page
    assert "1 comment<" in alice.get("/").text
    assert counter(db, post_id) == 1
    assert admin.submit(f"/admin/users/{bob_id}/unsuspend").status_code == 303
    assert "3 comments" in alice.get(f"/posts/{post_id}").text
    assert counter(db, post_id) == 3 and counter(db, bobs_post) == 1
    # Deleting a deactivated account does not take its comments out a second time.
    assert (
        admin.submit(f"/admin/users/{bob_id}/suspend", {"duration": "forever"}).status_code == 303
    )
    assert admin.submit(f"/admin/users/{bob_id}/delete").status_code == 303
    assert counter(db, post_id) == comments.standing(session=db, post_id=post_id) == 1
    assert "1 comment<" in alice.get(f"/posts/{post_id}").text


def test_a_deactivated_account_cannot_slip_a_comment_into_the_count(alice, bob, post_id, db):
    # The request's user was read before the account was deactivated: the write refuses.
    user = get_user(db, "bob")
    post = get_post(db, post_id)
    assert post is not None
    user.is_active = False
    db.add(user)
    db.commit()
    with pytest.raises(comments.Conflict):
        comments.create(session=db, author=user, post=post, content="too late")
    assert counter(db, post_id) == 0 and all_comments(db) == []
