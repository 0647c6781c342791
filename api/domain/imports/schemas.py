"""Import rows to wire structs and `import:updated` events; one file row to a valid task."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any

import msgspec

from api.db.models import ImportJob
from api.events import DomainEvent
from api.wire import (
    CHECKLIST_MAX_ITEMS,
    LABELS_MAX,
    ChecklistText,
    LabelColor,
    LabelName,
    Position,
    TaskDescription,
    TaskPriority,
    TaskStatus,
    TaskTitle,
)
from api.wire import ImportJob as ImportJobOut


class ImportedLabel(msgspec.Struct, kw_only=True):
    name: LabelName
    color: LabelColor = "gray"


class ImportedItem(msgspec.Struct, kw_only=True):
    text: ChecklistText
    done: bool = False


class ImportedTask(msgspec.Struct, kw_only=True):
    """The fields a file may give a task, with the API's own rules (contract §7, §9). A label
    is a name (or a name and colour); the import finds or creates it in the project."""

    title: TaskTitle
    description: TaskDescription = ""
    status: TaskStatus = "todo"
    priority: TaskPriority = "medium"
    due_date: dt.date | None = None
    position: Position | None = None
    assignee_id: uuid.UUID | None = None
    labels: Annotated[list[LabelName | ImportedLabel], msgspec.Meta(max_length=LABELS_MAX)] = []
    checklist: Annotated[list[ImportedItem], msgspec.Meta(max_length=CHECKLIST_MAX_ITEMS)] = []

    def label_list(self) -> list[ImportedLabel]:
        return [ImportedLabel(name=x) if isinstance(x, str) else x for x in self.labels]


_AT = re.compile(r" - at `\$\.(\w+)[^`]*`")
_MISSING = re.compile(r"missing required field `(\w+)`")


def check_task(fields: dict[str, Any]) -> ImportedTask | tuple[str | None, str]:
    """The task, or (field, message) saying why not."""
    try:
        return msgspec.convert(fields, ImportedTask, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        at = _AT.search(text) or _MISSING.search(text)
        if "matching regex" in text:
            text = "holds a control character or a line break where none may be"
        return (at.group(1) if at else None), _AT.sub("", text)


def job_out(job: ImportJob) -> ImportJobOut:
    return msgspec.convert(job, ImportJobOut, from_attributes=True)


def job_event(job: ImportJob, member_ids: tuple[uuid.UUID, ...] = ()) -> DomainEvent:
    """`import:updated` with the job as data; the system, not a user, is the actor. The
    finished one names the members, whose project lists it changes (api/cache/keys.py)."""
    return DomainEvent(
        name="import:updated",
        project_id=job.project_id,
        data=msgspec.to_builtins(job_out(job)),
        actor=None,
        member_ids=member_ids,
    )
