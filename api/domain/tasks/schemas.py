"""Task rows to wire structs."""

from __future__ import annotations

import msgspec

from api.db.models import Task
from api.wire import Task as TaskOut


def task_out(t: Task) -> TaskOut:
    return msgspec.convert(t, TaskOut, from_attributes=True)
