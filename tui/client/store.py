"""One project's state on the client: tasks, members, presence, typing; events applied in place.

The board renders from here, so a live event costs a dict update and the redraw of the one
column it touched, never a refetch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from api import wire
from tui.client.filters import TaskFilter, utc_today

PRIORITY_RANK = {"urgent": 0, "high": 1, "medium": 2, "low": 3}
STATUS_RANK = {"todo": 0, "in_progress": 1, "done": 2}
STATUS_TITLES = {"todo": "To do", "in_progress": "In progress", "done": "Done"}
LIST_SORTS = ("position", "priority", "due_date", "-updated_at", "title")
SORT_LABELS = {
    "position": "Board order",
    "priority": "Priority",
    "due_date": "Due date",
    "-updated_at": "Updated ↓",
    "title": "Title",
}
TYPING_TTL = 6.0


def to_task(data: dict[str, Any]) -> wire.Task:
    return msgspec.convert(data, wire.Task, strict=False)


def sort_key(sort: str) -> Any:
    """Sort keys of the list view; ties fall back to the board order."""
    keys: dict[str, Any] = {
        "position": lambda t: (STATUS_RANK[t.status], t.position),
        "priority": lambda t: (PRIORITY_RANK[t.priority], t.position),
        "due_date": lambda t: (t.due_date is None, t.due_date or 0, t.position),
        "-updated_at": lambda t: -t.updated_at.timestamp(),
        "title": lambda t: t.title.lower(),
    }
    return keys[sort]


@dataclass
class ProjectStore:
    project: wire.Project
    tasks: dict[uuid.UUID, wire.Task] = field(default_factory=dict)
    members: dict[uuid.UUID, wire.Member] = field(default_factory=dict)
    labels: dict[uuid.UUID, wire.Label] = field(default_factory=dict)
    presence: list[wire.Actor] = field(default_factory=list)
    typing: dict[uuid.UUID, dict[str, float]] = field(default_factory=dict)
    cursor: str | None = None
    me: uuid.UUID | None = None  # the user this client is logged in as

    @classmethod
    def from_detail(cls, detail: wire.ProjectDetail, me: uuid.UUID | None = None) -> ProjectStore:
        store = cls(project=detail, me=me)
        store.reset(detail)
        return store

    def reset(self, detail: wire.ProjectDetail) -> None:
        self.project = detail
        self.tasks = {t.id: t for t in detail.tasks}
        self.members = {m.user_id: m for m in detail.members}
        self.labels = {label.id: label for label in detail.labels}

    @property
    def id(self) -> uuid.UUID:
        return self.project.id

    @property
    def role(self) -> str | None:
        return self.project.role

    @property
    def can_edit(self) -> bool:
        return self.role in ("owner", "editor")

    def others(self) -> list[str]:
        """The usernames one can @mention here: every member but oneself."""
        return sorted(m.username for m in self.members.values() if m.user_id != self.me)

    def username(self, user_id: uuid.UUID | None) -> str:
        member = self.members.get(user_id) if user_id else None
        return member.username if member else ""

    def task_labels(self, ids: Iterable[uuid.UUID]) -> list[wire.Label]:
        """Those of a task's label ids the project still has, as labels by name."""
        found = [self.labels[i] for i in ids if i in self.labels]
        return sorted(found, key=lambda label: label.name.lower())

    def _shown(self, tasks: Iterable[wire.Task], flt: TaskFilter) -> list[wire.Task]:
        today = utc_today()
        return [
            t
            for t in tasks
            if flt.matches(
                t,
                self.username(t.assignee_id),
                today,
                {label.name.lower() for label in self.task_labels(t.labels)}
                if flt.labels
                else set(),
            )
        ]

    def column(self, status: str, flt: TaskFilter | None = None) -> list[wire.Task]:
        tasks = [t for t in self.tasks.values() if t.status == status]
        if flt:
            tasks = self._shown(tasks, flt)
        tasks.sort(key=lambda t: (t.position, str(t.id)))
        return tasks

    def listing(self, sort: str, flt: TaskFilter | None = None) -> list[wire.Task]:
        tasks: Iterable[wire.Task] = self.tasks.values()
        if flt:
            tasks = self._shown(tasks, flt)
        return sorted(tasks, key=sort_key(sort))

    def put(self, task: wire.Task) -> set[str]:
        """Store a task as the server sent it; returns the statuses (columns) it changed.

        A version no newer than the one held is not stored: it is an echo of a state we
        already hold, and the one held may be our own change on its way to the server
        (`show`), which a late echo of an earlier change must not undo. The very state held
        still names its column, for a caller that has not drawn it yet.
        """
        old = self.tasks.get(task.id)
        if old is not None and old.version >= task.version:
            return {task.status} if old == task else set()
        return self.show(task)

    def show(self, task: wire.Task) -> set[str]:
        """Show a task as it will be once our change is saved (same version until then)."""
        old = self.tasks.get(task.id)
        self.tasks[task.id] = task
        return {task.status} | ({old.status} if old else set())

    def drop(self, task_id: uuid.UUID) -> set[str]:
        old = self.tasks.pop(task_id, None)
        self.typing.pop(task_id, None)
        return {old.status} if old else set()

    def apply(self, frame: wire.RoomEvent) -> set[str]:
        """Apply one room event; returns the touched columns, plus "project"/"members"/"labels"."""
        self.cursor = frame.cursor
        data = frame.data
        match frame.event:
            case "task:created" | "task:updated":
                return self.put(to_task(data))
            case "task:deleted":
                return self.drop(uuid.UUID(str(data["id"])))
            case "project:updated":
                fields = {k: data[k] for k in ("name", "description", "version") if k in data}
                self.project = msgspec.structs.replace(self.project, **fields)
                return {"project"}
            case "member:added":
                # also a role change (contract §5 has no member:updated): mine changes the board
                member = msgspec.convert(data, wire.Member, strict=False)
                self.members[member.user_id] = member
                if member.user_id == self.me and member.role != self.role:
                    self.project = msgspec.structs.replace(self.project, role=member.role)
                    return {"members", "project"}
                return {"members"}
            case "label:created" | "label:updated":
                label = msgspec.convert(data, wire.Label, strict=False)
                self.labels[label.id] = label
                return {*wire.TASK_STATUSES, "labels"}  # its chips, wherever they are
            case "label:deleted":
                self.labels.pop(uuid.UUID(str(data["id"])), None)
                return {*wire.TASK_STATUSES, "labels"}
            case "member:removed":
                self.members.pop(uuid.UUID(str(data.get("user_id"))), None)
                return {"members"}
        return set()

    def set_typing(self, task_id: uuid.UUID, username: str, active: bool, now: float) -> set[str]:
        """Note who edits which card; returns the column to redraw."""
        names = self.typing.setdefault(task_id, {})
        if active:
            names[username] = now
        else:
            names.pop(username, None)
        if not names:
            del self.typing[task_id]
        task = self.tasks.get(task_id)
        return {task.status} if task else set()

    def expire_typing(self, now: float, ttl: float = TYPING_TTL) -> set[str]:
        """Typing without a fresh `start` for `ttl` seconds has stopped (contract §5: 5 s)."""
        touched: set[str] = set()
        for task_id, names in list(self.typing.items()):
            for username, since in list(names.items()):
                if now - since > ttl:
                    touched |= self.set_typing(task_id, username, False, now)
        return touched

    def typing_label(self, task_id: uuid.UUID) -> str:
        return ", ".join(sorted(self.typing.get(task_id, ())))

    def neighbour_position(self, task: wire.Task, step: int) -> float | None:
        """The position that moves `task` one place up (-1) or down (+1) in its column."""
        column = self.column(task.status)
        index = next(i for i, t in enumerate(column) if t.id == task.id)
        target = index + step
        if not 0 <= target < len(column):
            return None
        beyond = target + step
        edge = column[target].position + step * 1024.0
        other = column[beyond].position if 0 <= beyond < len(column) else edge
        return (column[target].position + other) / 2

    def end_position(self, status: str) -> float:
        column = self.column(status)
        return (column[-1].position if column else 0.0) + 1024.0
