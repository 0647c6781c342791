"""The pre-commit hook that writes one activity entry per committed domain event.

Why a hook and not the services: every write already records its events on the unit of
work, so one place covers tasks, comments, members, the project and exports alike, and the
entries share the change's transaction (a rolled-back write leaves no history behind).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ActivityEntry, Project, utcnow
from api.events import DomainEvent, PreCommitHook
from api.rooms.sequence import SEQ
from api.settings import Failpoints

if TYPE_CHECKING:
    from api.runtime import Core

CHANGES = "changes"  # DomainEvent.extra: {field: [old, new]}, set by the service that knows
TITLE = "title"  # DomainEvent.extra: the task's title where `data` lacks it (a deletion)
# DomainEvent.extra: the import whose commit created the task. Its one entry (the finished
# import) tells the history; the tasks' own events reach the room and the cache only.
IMPORTED = "import_id"
# Failpoint `activity.fail_task_updates=1`: break the transaction after the entries of a
# task update are written, to prove that the change and its history stand or fall together.
FAIL_TASK_UPDATES = "activity.fail_task_updates"


class InjectedFailure(RuntimeError):
    """Raised by a failpoint only."""


def _task_id(event: DomainEvent) -> uuid.UUID | None:
    key = "id" if event.name.startswith("task:") else "task_id"
    raw = event.data.get(key)
    return uuid.UUID(str(raw)) if raw else None


def _summary(event: DomainEvent) -> str:
    """One line for people: what happened, never more than the event says."""
    data = event.data
    title = data.get("title") or event.extra.get(TITLE) or ""
    changed = ", ".join(event.extra.get(CHANGES, {}))
    match event.name:
        case "task:created":
            return f"created task {title!r}"
        case "task:updated":
            return f"changed {changed or 'nothing'} of {title!r}"
        case "task:deleted":
            return f"deleted task {title!r}" if title else "deleted a task"
        case "comment:created":
            return "commented on a task"
        case "comment:updated":
            return "edited a comment"
        case "comment:deleted":
            return "deleted a comment"
        case "label:created":
            return f"created label {data.get('name')!r}"
        case "label:updated":
            return f"changed {changed or 'nothing'} of label {data.get('name')!r}"
        case "label:deleted":
            return f"deleted label {data.get('name')!r}"
        case "member:added":
            return f"added {data.get('username')} as {data.get('role')}"
        case "member:removed":
            return f"removed {data.get('username')}"
        case "project:created":
            return f"created the project {data.get('name')!r}"
        case "project:updated":
            return f"changed {changed or 'the project'}"
        case "export:updated":
            return f"export {data.get('format')} {str(data.get('status', '')).lower()}"
        case "import:updated" if data.get("status") == "COMPLETED":
            return f"imported {data.get('created')} tasks from {data.get('format')}"
        case "import:updated":
            return f"import {data.get('format')} failed"
    return event.name


def _worth_an_entry(event: DomainEvent) -> bool:
    """A deleted project takes its history with it; an export's progress ticks are no news,
    nor is an import until it ends (one entry per import, not one per task)."""
    if event.name == "project:deleted" or IMPORTED in event.extra:
        return False
    if event.name == "import:updated":
        return event.data.get("status") in ("COMPLETED", "FAILED")
    if event.name == "export:updated":
        return not (event.data.get("status") == "PROCESSING" and event.data.get("progress"))
    return True


def entry_row(event: DomainEvent, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "project_id": event.project_id,
        "task_id": _task_id(event),
        "at": at,
        "actor_id": event.actor.id if event.actor else None,
        "actor_username": event.actor.username if event.actor else None,
        "event": event.name,
        "summary": _summary(event)[:1000],
        "changes": event.extra.get(CHANGES, {}),
    }


def activity_hook(failpoints: Failpoints | None = None) -> PreCommitHook:
    fail_updates = bool(failpoints and failpoints.get(FAIL_TASK_UPDATES))

    async def record_activity(
        session: AsyncSession, events: list[DomainEvent]
    ) -> list[DomainEvent]:
        """Entries of one transaction are a microsecond apart, so newest-first keeps their order."""
        worth = [e for e in events if _worth_an_entry(e)]
        # A project deleted meanwhile (an export finishing late) has no history. An event
        # numbered in this transaction (`api.rooms.sequence`, installed before us) proves its
        # project's row is there and locked until COMMIT: only the others cost a query.
        unsure = {e.project_id for e in worth if SEQ not in e.extra}
        if unsure:
            found = set(await session.scalars(select(Project.id).where(Project.id.in_(unsure))))
            worth = [e for e in worth if SEQ in e.extra or e.project_id in found]
        now = utcnow()
        rows = [entry_row(e, now + dt.timedelta(microseconds=i)) for i, e in enumerate(worth)]
        if rows:
            await session.execute(insert(ActivityEntry), rows)
        if fail_updates and any(e.name == "task:updated" for e in events):
            raise InjectedFailure("failpoint activity.fail_task_updates")
        return events

    return record_activity


async def install(core: Core) -> None:
    """Every transaction of this process writes its history (built in `api.app.assemble`)."""
    core.dispatcher.register_pre_commit(activity_hook(core.settings.failpoints))
