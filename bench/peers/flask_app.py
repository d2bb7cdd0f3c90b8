"""Flask + Flask-SQLAlchemy, the way its quickstart and most Flask tutorials write it.

Models on `db.Model`, a lazy `owner` relationship, the vote count from JOIN + GROUP BY, and
`render_template_string`; served by gunicorn's default sync workers:
`gunicorn --workers 2 bench.peers.flask_app:app`.
"""

import os
from datetime import datetime

from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bench.peers import TEMPLATE

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.environ['PEER_DB']}"
db = SQLAlchemy(app)


class User(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str]


class Post(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    content: Mapped[str]
    published: Mapped[bool]
    created_at: Mapped[datetime]
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    owner: Mapped[User] = relationship()


class Vote(db.Model):  # type: ignore[name-defined,misc]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), primary_key=True)


@app.get("/")
def latest() -> str:
    posts = db.session.execute(
        db.select(Post, func.count(Vote.post_id))
        .outerjoin(Vote)
        .where(Post.published.is_(True))
        .group_by(Post.id)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(20)
    ).all()
    return render_template_string(TEMPLATE, posts=posts)
