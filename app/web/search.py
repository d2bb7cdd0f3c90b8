"""The search page: posts that match, best first, with the words marked, and matching people."""

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from app import pagination, rendering
from app.db import engine_of
from app.deps import OptionalUser, SessionDep
from app.pagination import PAGE_SIZE
from app.services import feeds, tags
from app.services import search as fulltext
from app.templating import render
from app.web import PageRouter

router = PageRouter()

SEARCH_PAGES = fulltext.SEARCH_WINDOW // PAGE_SIZE


# A plain `def`: a search reads more than the feed does, so it runs in the thread pool rather
# than holding the event loop for other visitors.
@router.get("/search")
def search_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=SEARCH_PAGES)] = 1,
) -> Response:
    # However long the query, only its start is read: a long one is cut, not refused.
    q = q[: fulltext.MAX_QUERY_CHARS]
    text, tag = fulltext.split_query(q)
    words = fulltext.terms(text)
    window = feeds.search(
        engine=engine_of(session),
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
    query = q.replace("\x00", "").strip()[:200]
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
            "people": people,
            "pager": pagination.numbered(listing, "/search", {"q": query}, by_time=False),
        },
    )
