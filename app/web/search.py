"""The search page: posts that match, best first, with the words marked, and matching people."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from starlette.responses import Response

from app import rendering
from app.deps import OptionalUser, SessionDep
from app.services import posts
from app.services import search as fulltext
from app.templating import render
from app.web import PageRouter

router = PageRouter()

SEARCH_PAGES = fulltext.SEARCH_WINDOW // posts.PAGE_SIZE


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
    words = fulltext.terms(q)
    window = posts.search(
        session=session,
        text=" ".join(words),
        limit=posts.PAGE_SIZE,
        offset=(page - 1) * posts.PAGE_SIZE,
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
    return render(
        request,
        "search/results.html",
        {
            "q": query,
            "words": words,
            "results": results,
            "people": people,
            "page": page,
            "prev_url": _url(query, page - 1) if page > 1 else None,
            "next_url": _url(query, page + 1) if window.next is not None else None,
        },
    )


def _url(query: str, page: int) -> str:
    return "/search?" + urlencode({"q": query, "page": page})
