"""The ceiling: the newest-20 page served the fastest plain way, to compare Agora against.

Raw Starlette, one sqlite3 connection per worker, one indexed query per request, a Jinja2
template compiled once. Serve it like Agora: `uvicorn bench.reference:app --workers 2`, with
REFERENCE_DB pointing at the same database file.
"""

import os
import sqlite3
from datetime import UTC, datetime

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

QUERY = """
SELECT post.id, post.title, post.content, post.created_at, post.vote_count, user.username
FROM post JOIN user ON user.id = post.owner_id
WHERE post.published = 1
ORDER BY post.created_at DESC, post.id DESC
LIMIT 20
"""

TEMPLATE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Latest posts</title></head>
<body><main><h1>Latest posts</h1>
{% for p in posts %}<article><h2><a href="/posts/{{ p[0] }}">{{ p[1] }}</a></h2>
<p>by <a href="/users/{{ p[5] }}">{{ p[5] }}</a> · <time>{{ p[3] }}</time> · {{ p[4] }} votes</p>
<p>{{ p[2] }}</p></article>
{% endfor %}</main></body></html>""")

_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(os.environ["REFERENCE_DB"], check_same_thread=False)
        _connection.execute("PRAGMA query_only=1")
    return _connection


def fmt(created_at: str) -> str:
    value = datetime.fromisoformat(created_at).replace(tzinfo=UTC)
    return f"{value.day} {value:%b %Y}, {value:%H:%M} UTC"


async def feed(request: Request) -> HTMLResponse:
    rows = connection().execute(QUERY).fetchall()
    posts = [(r[0], r[1], r[2], fmt(r[3]), r[4], r[5]) for r in rows]
    return HTMLResponse(TEMPLATE.render(posts=posts))


app = Starlette(routes=[Route("/", feed)])
