"""Very long threads stay bounded: a page reads and shows at most COMMENTS_PER_PAGE comments,
"Continue this thread" carries on where it cut, and every comment's permalink lands on a page
that shows it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.models import Comment
from app.services import threads
from tests.conftest import get_post, get_user, post_id_from

SIZE = 2_000
# What one page may weigh, whatever the thread's shape: COMMENTS_PER_PAGE comments of a few
# words each come to about 230 kB (a page of one comment is about 12 kB).
PAGE_BYTES = 300_000


def write(db: Session, post_id: int, author: str, parents: list[int | None]) -> list[int]:
    """Comments on the post, the n-th answering `parents[n]` (an index into the ones written
    before it, or None for the top level), a second apart, with their counter: the rows the
    service writes, without a request each."""
    author_id = get_user(db, author).id
    start = datetime.now(UTC) - timedelta(days=1)
    written: list[Comment] = []
    for n, parent in enumerate(parents):
        above = written[parent] if parent is not None else None
        comment = Comment(
            post_id=post_id,
            author_id=author_id,
            parent_id=above.id if above else None,
            root_id=above.root_id if above else None,
            depth=above.depth + 1 if above else 0,
            content=f"Comment number {n}",
            created_at=start + timedelta(seconds=n),
            updated_at=start + timedelta(seconds=n),
        )
        db.add(comment)
        db.flush()
        if comment.root_id is None:
            comment.root_id = comment.id
        written.append(comment)
    post = get_post(db, post_id)
    assert post is not None
    post.comment_count += len(parents)
    db.add(post)
    db.commit()
    return [c.id for c in written if c.id is not None]


@pytest.fixture
def post_id(alice) -> int:  # type: ignore[no-untyped-def]
    return post_id_from(alice.create_post("A long conversation", "Say anything."))


def shown(html: str) -> int:
    return html.count('<article class="comment ')


def every_permalink_lands_on_its_comment(browser: Any, ids: list[int]) -> set[str]:
    """Follow each comment's permalink; the page it names shows that comment. The pages seen."""
    pages: dict[str, str] = {}
    for comment_id in ids:
        response = browser.get(f"/comments/{comment_id}")
        assert response.status_code == 303
        url, _, anchor = response.headers["location"].partition("#")
        assert anchor == f"comment-{comment_id}"
        if url not in pages:
            page = browser.get(url)
            assert page.status_code == 200, url
            assert len(page.content) < PAGE_BYTES, url
            assert shown(page.text) <= threads.COMMENTS_PER_PAGE + 1, url
            pages[url] = page.text
        assert f'id="comment-{comment_id}"' in pages[url], (comment_id, url)
    return set(pages)


def test_a_chain_of_2000_replies_renders_a_bounded_page(alice, bob, post_id, db):
    ids = write(db, post_id, "bob", [None] + list(range(SIZE - 1)))
    page = alice.get(f"/posts/{post_id}")
    assert page.status_code == 200
    assert len(page.content) < PAGE_BYTES
    assert shown(page.text) == threads.COMMENTS_PER_PAGE
    assert f"{SIZE:,} comments" in page.text or f"{SIZE} comments" in page.text
    # Past depth 6 the chain is flat, saying whom each answers.
    assert "indent-7" not in page.text and "indent-6" in page.text
    assert 'in reply to <a href="/users/bob">@bob</a>' in page.text
    # The cut comment links on; following the links reads the whole chain, a page at a time.
    cut = ids[threads.COMMENTS_PER_PAGE - 1]
    assert f'<a href="/comments/{cut}/thread">Continue this thread' in page.text
    more = alice.get(f"/comments/{cut}/thread")
    assert more.status_code == 200 and len(more.content) < PAGE_BYTES
    assert f'id="comment-{cut}"' in more.text and f'id="comment-{cut + 1}"' in more.text
    assert "Continue this thread" in more.text


def test_comments_deep_in_a_2000_chain_are_reached_by_their_permalinks(alice, bob, post_id, db):
    ids = write(db, post_id, "bob", [None] + list(range(SIZE - 1)))
    # Each side of every cut, the start, the end and every 37th comment: a permalink deep in a
    # chain costs a read per view above it, so all 2,000 would take minutes here.
    step = threads.COMMENTS_PER_PAGE - 1
    near_cuts = {i + d for i in range(0, SIZE, step) for d in (-2, -1, 0, 1, 2)}
    picked = sorted(i for i in near_cuts | set(range(0, SIZE, 37)) | {SIZE - 1} if 0 <= i < SIZE)
    pages = every_permalink_lands_on_its_comment(alice, [ids[i] for i in picked])
    # As a reader follows the links: a handful of views, not one per comment.
    assert len(pages) <= SIZE // step + 2


def test_a_comment_with_2000_replies_renders_bounded_pages_and_every_reply_is_reached(
    alice, bob, post_id, db
):
    ids = write(db, post_id, "bob", [None] + [0] * (SIZE - 1))
    page = alice.get(f"/posts/{post_id}")
    assert len(page.content) < PAGE_BYTES
    assert shown(page.text) == threads.COMMENTS_PER_PAGE
    assert f'<a href="/comments/{ids[0]}/thread">Continue this thread' in page.text
    replies = alice.get(f"/comments/{ids[0]}/thread")
    assert shown(replies.text) == threads.ROOTS_PER_PAGE + 1  # the comment, then its replies
    assert f'href="/comments/{ids[0]}/thread?page=2"' in replies.text
    every_permalink_lands_on_its_comment(alice, ids)


def test_a_short_thread_is_shown_whole_with_no_continue_link(alice, bob, post_id, db):
    write(db, post_id, "bob", [None, 0, 1, 1, None, 4])
    page = alice.get(f"/posts/{post_id}").text
    assert shown(page) == 6 and "Continue this thread" not in page


def test_a_subthread_of_a_post_others_may_not_see_is_404(alice, bob, post_id, db):
    (comment_id,) = write(db, post_id, "bob", [None])
    assert bob.get(f"/comments/{comment_id}/thread").status_code == 200
    alice.submit(f"/posts/{post_id}/edit", {"title": "Now a draft", "content": "x"}, page="/")
    assert bob.get(f"/comments/{comment_id}/thread").status_code == 404
    assert alice.get(f"/comments/{comment_id}/thread").status_code == 404
    assert bob.get("/comments/999999/thread").status_code == 404
