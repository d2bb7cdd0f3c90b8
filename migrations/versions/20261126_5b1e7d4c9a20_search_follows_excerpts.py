"""Full-text search, follows, plain-text excerpts, and indexes for the Following and Top feeds.

Full-text search is kept in step by the database itself, differently on each:
- SQLite: an FTS5 table `post_fts` over the published posts' title and content, reading the text
  from `post` (external content, so nothing is stored twice) and updated by triggers on `post`.
- PostgreSQL: a generated `tsvector` column `post.search_vector` (title weighted above content)
  with a GIN index over the published posts.
Neither is in the models; migrations/env.py keeps autogenerate away from them.

Revision ID: 5b1e7d4c9a20
Revises: 70eb10c481d7
Create Date: 2026-11-26 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from markdown_it import MarkdownIt

revision: str = "5b1e7d4c9a20"
down_revision: str | Sequence[str] | None = "70eb10c481d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Words are runs of letters and digits, in any case, stemmed (English): "gardens" finds "garden".
SQLITE_FTS = """
CREATE VIRTUAL TABLE post_fts USING fts5(
    title, content, content='post', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
)
"""
# Only published posts are indexed. A row's old values must be removed exactly as they were
# added (external-content FTS5), hence the guards on old.published.
SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER post_fts_insert AFTER INSERT ON post WHEN new.published BEGIN
        INSERT INTO post_fts(rowid, title, content) VALUES (new.id, new.title, new.content);
    END
    """,
    """
    CREATE TRIGGER post_fts_delete AFTER DELETE ON post WHEN old.published BEGIN
        INSERT INTO post_fts(post_fts, rowid, title, content)
        VALUES ('delete', old.id, old.title, old.content);
    END
    """,
    # Votes update vote_count many times a second: they must not touch the index.
    """
    CREATE TRIGGER post_fts_update AFTER UPDATE OF title, content, published ON post BEGIN
        INSERT INTO post_fts(post_fts, rowid, title, content)
        SELECT 'delete', old.id, old.title, old.content WHERE old.published;
        INSERT INTO post_fts(rowid, title, content)
        SELECT new.id, new.title, new.content WHERE new.published;
    END
    """,
)
PG_VECTOR = """
ALTER TABLE post ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', content), 'B')
) STORED
"""
PG_INDEX = "CREATE INDEX ix_post_search ON post USING gin (search_vector) WHERE published"

# A frozen copy of the excerpt rule at the time of this revision (revisions never import app
# code): the plain text of the Markdown, cut near 240 characters.
EXCERPT_CHARS = 240
_md = MarkdownIt("commonmark", {"html": False})


def _excerpt(text: str) -> str:
    parts: list[str] = []

    def walk(tokens):  # type: ignore[no-untyped-def]
        for token in tokens:
            if token.type in ("text", "code_inline"):
                parts.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif token.type in ("code_block", "fence"):
                parts.append(" " + token.content + " ")
            elif token.children:
                walk(token.children)
            elif token.type.endswith("_close") and token.block:
                parts.append(" ")

    walk(_md.parse(text))
    plain = " ".join("".join(parts).split())
    if len(plain) <= EXCERPT_CHARS:
        return plain
    cut = plain[:EXCERPT_CHARS]
    space = cut.rfind(" ")
    if space > EXCERPT_CHARS * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def _backfill_excerpts() -> None:
    post = sa.table("post", sa.column("id", sa.Integer), sa.column("content", sa.String))
    excerpt = sa.table("post", sa.column("id", sa.Integer), sa.column("excerpt", sa.String))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(post.c.id, post.c.content)
            .where(post.c.id > last)
            .order_by(post.c.id)
            .limit(2000)
        ).all()
        if not rows:
            return
        conn.execute(
            excerpt.update()
            .where(excerpt.c.id == sa.bindparam("pid"))
            .values(excerpt=sa.bindparam("text")),
            [{"pid": row.id, "text": _excerpt(row.content)} for row in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    op.create_table(
        "follow",
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("followed_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("follower_id <> followed_id", name="ck_follow_not_self"),
        sa.ForeignKeyConstraint(["followed_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["follower_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("follower_id", "followed_id"),
    )
    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_followed_id"), ["followed_id"], unique=False)

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("excerpt", sa.String(length=250), server_default="", nullable=False)
        )
        batch_op.drop_index(batch_op.f("ix_post_owner_id"))
        batch_op.create_index(
            "ix_post_author", ["owner_id", "published", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_post_top", ["published", "created_at", "vote_count"], unique=False
        )
    _backfill_excerpts()

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_VECTOR)
        op.execute(PG_INDEX)
    else:
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute(
            "INSERT INTO post_fts(rowid, title, content) "
            "SELECT id, title, content FROM post WHERE published"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_post_search")
        op.execute("ALTER TABLE post DROP COLUMN search_vector")
    else:
        for name in ("post_fts_insert", "post_fts_delete", "post_fts_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE post_fts")

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_top")
        batch_op.drop_index("ix_post_author")
        batch_op.create_index(batch_op.f("ix_post_owner_id"), ["owner_id"], unique=False)
        batch_op.drop_column("excerpt")

    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_followed_id"))

    op.drop_table("follow")
