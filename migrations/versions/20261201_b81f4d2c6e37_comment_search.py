"""Full-text search over comments.

Kept in step by the database, as for posts:
- SQLite: an FTS5 table `comment_fts` over the standing (not deleted or removed) comments' text,
  reading it from `comment` (external content) and updated by triggers on `comment`;
- PostgreSQL: a generated `tsvector` column `comment.search_vector` with a GIN index over the
  standing comments.
Whether the post is public and the authors available is checked when searching, since those
change elsewhere. Nothing here touches `post`, so its own full-text triggers stay.

Revision ID: b81f4d2c6e37
Revises: 2c5fde4d382f
Create Date: 2026-12-01 11:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b81f4d2c6e37"
down_revision: str | Sequence[str] | None = "2c5fde4d382f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same words as post search: letters and digits in any case, stemmed (English).
SQLITE_FTS = """
CREATE VIRTUAL TABLE comment_fts USING fts5(
    content, content='comment', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
)
"""
# Old values leave the index exactly as they entered it (external content), hence the guards
# on old.deleted; a deleted or removed comment's text is erased and leaves the index.
SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER comment_fts_insert AFTER INSERT ON comment WHEN NOT new.deleted BEGIN
        INSERT INTO comment_fts(rowid, content) VALUES (new.id, new.content);
    END
    """,
    """
    CREATE TRIGGER comment_fts_delete AFTER DELETE ON comment WHEN NOT old.deleted BEGIN
        INSERT INTO comment_fts(comment_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END
    """,
    # Votes move vote_count often: they must not touch the index.
    """
    CREATE TRIGGER comment_fts_update AFTER UPDATE OF content, deleted ON comment BEGIN
        INSERT INTO comment_fts(comment_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE NOT old.deleted;
        INSERT INTO comment_fts(rowid, content)
        SELECT new.id, new.content WHERE NOT new.deleted;
    END
    """,
)
PG_VECTOR = """
ALTER TABLE comment ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
"""
PG_INDEX = "CREATE INDEX ix_comment_search ON comment USING gin (search_vector) WHERE NOT deleted"
TRIGGER_NAMES = ("comment_fts_insert", "comment_fts_delete", "comment_fts_update")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_VECTOR)
        op.execute(PG_INDEX)
        return
    op.execute(SQLITE_FTS)
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)
    op.execute(
        "INSERT INTO comment_fts(rowid, content) SELECT id, content FROM comment WHERE NOT deleted"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_comment_search")
        op.execute("ALTER TABLE comment DROP COLUMN search_vector")
        return
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE comment_fts")
