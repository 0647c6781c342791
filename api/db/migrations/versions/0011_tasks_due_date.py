"""tasks: an index on the due date, for the due-soon scan across every project

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_due_date", "tasks", ["due_date"])


def downgrade() -> None:
    op.drop_index("ix_tasks_due_date", table_name="tasks")
