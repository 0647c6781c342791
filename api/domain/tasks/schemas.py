"""Task rows to wire structs."""

from __future__ import annotations

from api.db.models import Task
from api.wire import Task as TaskOut


def task_out(t: Task) -> TaskOut:
    return TaskOut(
        id=t.id,
        project_id=t.project_id,
        title=t.title,
        description=t.description,
        status=t.status,  # type: ignore[arg-type]
        priority=t.priority,  # type: ignore[arg-type]
        assignee_id=t.assignee_id,
        due_date=t.due_date,
        position=t.position,
        version=t.version,
        created_at=t.created_at,
        updated_at=t.updated_at,
        created_by=t.created_by,
        updated_by=t.updated_by,
    )
