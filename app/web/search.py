"""The search page: posts that match, best first, with the words marked, matching people and
comments; and the page of all the matching comments."""

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from app import pagination, rendering
from app.db import engine_of
from app.deps import OptionalUser, SessionDep
from app.pagination import PAGE_SIZE
from app.services import feeds, tags
from app.services import search as fulltext
from app.templating import render
from app.web import PageRouter, voting

router = PageRouter()

SEARCH_PAGES = fulltext.SEARCH_WINDOW // PAGE_SIZE
COMMENTS_SHOWN = 5  # on the main results page; "More comments" lists them all

SearchPage = Annotated[int, Query(ge=1, le=SEARCH_PAGES)]


def _words(q: str) -> tuple[str, list[str], str | None]:
    """The query as the page shows it back, its words, and the tag it names (`tag:name`)."""
    text, tag = fulltext.split_query(q)
    # However long the query, only its start is read: a long one is cut, not refused.
    words = fulltext.terms(text)
    return q[: fulltext.MAX_QUERY_CHARS].replace("\x00", "").strip()[:200], words, tag


def _comment_hits(rows: list[Any], words: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "comment": row,
            "title": rendering.highlight(row.post_title, words, width=1_000),
            "snippet": rendering.highlight(
                rendering.comment_text(row.id, row.updated_at, row.content), words
            ),
        }
        for row in rows
    ]


# A plain `def`: a search reads more than the feed does, so it runs in the thread pool rather
# than holding the event loop for other visitors.
@router.get("/search")
def search_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    q: str = "",
    page: SearchPage = 1,
) -> Response:
    query, words, tag = _words(q)
    engine = engine_of(session)
    window = feeds.search(
        engine=engine,
        text=" ".join(words),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        viewer=user,
        # A name no tag has matches nothing (id 0 names no tag).
        tag_id=None if tag is None else (tags.id_of(session=session, name=tag) or 0),
    )
    results = [
        {
            "post": row,
            "title": rendering.highlight(row.title, words, width=1_000),
            "snippet": rendering.highlight(
                rendering.post_text(row.id, row.updated_at, row.content), words
            ),
        }
        for row in window.items
    ]
    people = fulltext.users(session=session, words=words) if page == 1 else []
    found = (
        fulltext.comments(engine=engine, words=words, limit=COMMENTS_SHOWN, viewer=user)
        if page == 1
        else pagination.Window([], None)
    )
    listing = pagination.Page(results, number=page, has_next=window.next is not None)
    return render(
        request,
        "search/results.html",
        {
            "q": query,
            "search_query": query,  # the header's box keeps it too
            "words": words,
            "tag": tag,
            "results": results,
            "voting": voting(request, user, window.items),
            "people": people,
            "comments": _comment_hits(found.items, words),
            "more_comments": found.next is not None,
            "pager": pagination.numbered(listing, "/search", {"q": query}, by_time=False),
        },
    )


@router.get("/search/comments")
def search_comments_page(
    request: Request, session: SessionDep, user: OptionalUser, q: str = "", page: SearchPage = 1
) -> Response:
    query, words, _ = _words(q)
    found = fulltext.comments(
        engine=engine_of(session),
        words=words,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        viewer=user,
    )
    hits = _comment_hits(found.items, words)
    listing = pagination.Page(hits, number=page, has_next=found.next is not None)
    return render(
        request,
        "search/comments.html",
        {
            "q": query,
            "search_query": query,
            "words": words,
            "comments": hits,
            "pager": pagination.numbered(listing, "/search/comments", {"q": query}, by_time=False),
        },
    )
