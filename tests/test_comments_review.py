"""Comments and unavailable accounts, and the comment render budget (found in review)."""

from tests.conftest import get_user, post_id_from


def _deactivate(db, username: str) -> None:  # type: ignore[no-untyped-def]
    user = get_user(db, username)
    user.is_active = False
    db.add(user)
    db.commit()


def _comment(browser, post_id: int, content: str, parent_id: int | None = None):  # type: ignore[no-untyped-def]
    data = {"content": content, "parent_id": "" if parent_id is None else str(parent_id)}
    return browser.submit(f"/posts/{post_id}/comments", data, page=f"/posts/{post_id}")


def _comment_id(response) -> int:  # type: ignore[no-untyped-def]
    return int(response.headers["location"].rsplit("#comment-", 1)[1])


def test_a_refused_reply_does_not_show_an_unavailable_authors_words(alice, bob, make_browser, db):  # type: ignore[no-untyped-def]
    post_id = post_id_from(alice.create_post("Open question", "What do you grow?"))
    bobs = _comment_id(_comment(bob, post_id, "Secret beans from bob"))
    _deactivate(db, "bob")
    carol = make_browser()
    carol.register("carol")
    refused = _comment(carol, post_id, "", parent_id=bobs)
    assert refused.status_code == 422
    assert "Secret beans from bob" not in refused.text and "bob wrote" not in refused.text
    # The comment itself is gone from view too, and so is the moderator's removal page.
    assert carol.get(f"/comments/{bobs}").status_code == 404


def test_a_comment_is_held_to_its_own_render_budget(alice, bob):  # type: ignore[no-untyped-def]
    post_id = post_id_from(alice.create_post("Links", "A post"))
    amplified = "[x][r]" * 1600 + "\n\n[r]: https://example.com/" + "a" * 20
    response = _comment(bob, post_id, amplified)
    assert response.status_code == 422
    assert "kB of HTML" in response.text
