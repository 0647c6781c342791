"""The shape of a task row handed to the writers: the wire `Task` fields, in this order."""

from __future__ import annotations

TASK_FIELDS = (
    "id",
    "project_id",
    "title",
    "description",
    "status",
    "priority",
    "assignee_id",
    "due_date",
    "position",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
)
# Positions, for writers that pick fields out of a row tuple (fast on 100 000 rows).
(
    ID,
    PROJECT_ID,
    TITLE,
    DESCRIPTION,
    STATUS,
    PRIORITY,
    ASSIGNEE_ID,
    DUE_DATE,
    POSITION,
    VERSION,
    CREATED_AT,
    UPDATED_AT,
    CREATED_BY,
    UPDATED_BY,
) = range(len(TASK_FIELDS))
