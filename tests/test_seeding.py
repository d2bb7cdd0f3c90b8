"""The benchmark's bulk data is data the site reads as its own: seeded tags show as written."""

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Comment, Post, Tag
from app.seeding import seed
from tests.test_tag_counts import count_afresh


def test_seeded_tags_carry_their_true_counts_and_show_on_their_pages(app, browser) -> None:  # type: ignore[no-untyped-def]
    seed(app.state.engine, users=20, posts=400, votes=100, tags=30)
    with Session(app.state.engine) as session:
        seeded = list(session.exec(select(Tag).order_by(Tag.id)).all())
        assert len(seeded) == 30
        # The stored count /tags sorts by is the count the tag page works out.
        assert [t.public_posts for t in seeded] == [count_afresh(session, t) for t in seeded]
        # The first tags are the big ones, as on a real site.
        assert seeded[0].public_posts > seeded[-1].public_posts
    page = browser.get(f"/t/{seeded[0].name}")
    assert page.status_code == 200
    assert page.text.count('class="post-title"') == 20


def test_seeded_comments_are_counted_on_their_posts_and_found_by_search(app, browser) -> None:  # type: ignore[no-untyped-def]
    seed(app.state.engine, users=20, posts=200, votes=100, comments=300)
    with Session(app.state.engine) as session:
        counted = session.exec(select(func.sum(Post.comment_count))).one()
        on_drafts = session.exec(
            select(func.count())
            .select_from(Comment)
            .join(Post, col(Post.id) == Comment.post_id)
            .where(col(Post.published).is_(False))
        ).one()
        busiest = session.exec(select(Post.id).order_by(col(Post.comment_count).desc())).first()
    assert counted == 300
    assert on_drafts == 0
    page = browser.get(f"/posts/{busiest}")
    assert page.status_code == 200 and 'id="comment-' in page.text
    found = browser.get("/search?q=garden")
    assert found.status_code == 200 and 'id="comments-heading"' in found.text
