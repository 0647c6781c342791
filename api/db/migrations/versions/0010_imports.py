"""imports: the import jobs, and which import created a task

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "format in ('taskroom-json', 'csv', 'trello')", name=op.f("ck_imports_format")
        ),
        sa.CheckConstraint(
            "status in ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')",
            name=op.f("ck_imports_status"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_imports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_imports_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index("ix_imports_project_created", "imports", ["project_id", "created_at"])
    op.create_index(
        "uq_imports_idempotency", "imports", ["user_id", "idempotency_key"], unique=True
    )
    # A plain ADD COLUMN (no batch, no foreign key): SQLite keeps the table, and with it the
    # search triggers of 0008.
    op.add_column("tasks", sa.Column("import_id", sa.Uuid(), nullable=True))
    op.create_index("ix_tasks_import_id", "tasks", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_import_id", table_name="tasks")
    op.execute("ALTER TABLE tasks DROP COLUMN import_id")  # no batch: see upgrade()
    op.drop_index("uq_imports_idempotency", table_name="imports")
    op.drop_index("ix_imports_project_created", table_name="imports")
    op.drop_table("imports")
