"""FastAPI + SQLModel in the tutorial style: the way the FastAPI course and its docs teach it.

A plain `def` route (run in the thread pool), a `Depends` session per request, ORM objects with a
lazy `owner` relationship, and the vote count from JOIN + GROUP BY, as the course's
`GET /posts` does. Serve it like Agora: `uvicorn bench.peers.tutorial:app --workers 2`.
"""

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from sqlalchemy import func
from sqlmodel import Field, Relationship, Session, SQLModel, create_engine, select

from bench.peers import TEMPLATE


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str


class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    content: str
    published: bool
    created_at: datetime
    owner_id: int = Field(foreign_key="user.id")
    owner: User = Relationship()


class Vote(SQLModel, table=True):
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    post_id: int = Field(foreign_key="post.id", primary_key=True)


engine = create_engine(
    f"sqlite:///{os.environ['PEER_DB']}", connect_args={"check_same_thread": False}
)
page = Environment(autoescape=True).from_string(TEMPLATE)
app = FastAPI()


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@app.get("/", response_class=HTMLResponse)
def latest(request: Request, session: Annotated[Session, Depends(get_session)]) -> str:
    statement = (
        select(Post, func.count(Vote.post_id).label("votes"))
        .join(Vote, isouter=True)
        .where(Post.published == True)  # noqa: E712 (SQL, not Python)
        .group_by(Post.id)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(20)
    )
    return page.render(posts=session.exec(statement).all())
