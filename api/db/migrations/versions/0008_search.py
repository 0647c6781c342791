"""search: a full-text index of task titles and descriptions, and saved views

PostgreSQL: a generated `tasks.search_vector` (title weighted A, description B, the `simple`
configuration: no stemming, no stop words, like SQLite's tokenizer) and its GIN index; adding the
column computes it for every existing row. SQLite: an FTS5 table over the tasks table's rows
(external content, keyed by its rowid), kept in step by triggers so that every write path (the
ORM, bulk UPDATEs, imports, cascades) updates it, and rebuilt from the tasks here. Neither is in
the models: `migrations/env.py` leaves them out of `alembic check`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

POSTGRES = [
    """ALTER TABLE tasks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title), 'A')
        || setweight(to_tsvector('simple'::regconfig, description), 'B')
    ) STORED""",
    "CREATE INDEX ix_tasks_search ON tasks USING gin (search_vector)",
]
SQLITE = [
    """CREATE VIRTUAL TABLE tasks_fts USING fts5(
        title, description, content='tasks', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO tasks_fts (rowid, title, description)
        VALUES (new.rowid, new.title, new.description);
    END""",
    """CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
        INSERT INTO tasks_fts (tasks_fts, rowid, title, description)
        VALUES ('delete', old.rowid, old.title, old.description);
    END""",
    """CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks BEGIN
        INSERT INTO tasks_fts (tasks_fts, rowid, title, description)
        VALUES ('delete', old.rowid, old.title, old.description);
        INSERT INTO tasks_fts (rowid, title, description)
        VALUES (new.rowid, new.title, new.description);
    END""",
    "INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_views_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_saved_views_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
    )
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.create_index(
            "ix_saved_views_user_created", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_views_user_created")
    op.drop_table("saved_views")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_tasks_search")
        op.execute("ALTER TABLE tasks DROP COLUMN search_vector")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER tasks_fts_{trigger}")
        op.execute("DROP TABLE tasks_fts")
