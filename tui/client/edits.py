"""The user's own changes to a board's tasks: shown at once, sent one at a time per task, rolled
back with a reason when the server refuses, and undoable. Free of widgets, so it is tested
against a real server without a screen; the board gives it a way to redraw and to tell."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import msgspec

from api import wire
from tui.client.http import ApiClient, ApiError, Unreachable
from tui.client.store import ProjectStore, to_task

Severity = Literal["information", "warning", "error"]


class View(Protocol):
    """What the edits need of whoever shows the board."""

    def redraw(self, touched: set[str]) -> None: ...

    def tell(self, message: str, severity: Severity = "information") -> None: ...

    def report(self, exc: Exception, doing: str) -> None: ...


@dataclass
class Undo:
    """How to take back one of the user's own changes."""

    label: str
    task_id: uuid.UUID
    fields: dict[str, Any] | None = None  # the values before an update
    recreate: wire.Task | None = None  # a deleted task
    created: bool = False


def editable_fields(task: wire.Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "assignee_id": task.assignee_id,
        "due_date": task.due_date,
        "position": task.position,
    }


class Edits:
    """Optimistic writes and the undo history of one project's board."""

    def __init__(self, store: ProjectStore, api: ApiClient, view: View) -> None:
        self.store = store
        self.api = api
        self.view = view
        self.history: list[Undo] = []
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}

    def show(
        self, task: wire.Task, fields: dict[str, Any], label: str, undo: bool = True
    ) -> wire.Task:
        """Show the change now and remember how to undo it; returns the task as it was."""
        before = self.store.tasks.get(task.id, task)
        self.view.redraw(self.store.show(msgspec.structs.replace(before, **fields)))
        if undo:
            old = editable_fields(before)
            self.history.append(Undo(label, task.id, {k: old[k] for k in fields}))
        return before

    async def send(self, before: wire.Task, fields: dict[str, Any], label: str) -> None:
        """Send a shown change: one request at a time per task, each with the latest version."""
        async with self._locks.setdefault(before.id, asyncio.Lock()):
            version = self.store.tasks.get(before.id, before).version
            body = {**msgspec.to_builtins(fields), "version": version}
            try:
                saved = await self.api.update_task(before.id, body)
            except ApiError as exc:
                if exc.status == 409 and isinstance(exc.extra, dict):
                    current = to_task(exc.extra["current"])
                    self.store.tasks[current.id] = current
                    self.view.redraw({before.status, current.status})
                    self.view.tell(f"{label}: someone else changed this task first; reloaded it.")
                    return
                self.rollback(before, exc, label)
                return
            except Unreachable as exc:
                self.rollback(before, exc, label)
                return
            self.view.redraw(self.store.put(saved))

    def rollback(self, before: wire.Task, exc: Exception, label: str) -> None:
        current = self.store.tasks.get(before.id)
        touched: set[str] = {before.status} | ({current.status} if current else set())
        self.store.tasks[before.id] = before
        self.view.redraw(touched)
        reason = exc.detail if isinstance(exc, ApiError) else str(exc)
        self.view.tell(f"{label} undone: {reason}", "error")

    def created(self, saved: wire.Task) -> None:
        self.view.redraw(self.store.put(saved))
        self.history.append(Undo("Create", saved.id, created=True))

    def edited(self, before: wire.Task, saved: wire.Task) -> None:
        """A task saved from the editor: undo takes back the fields it changed."""
        old = editable_fields(before)
        changed = {k: v for k, v in old.items() if editable_fields(saved)[k] != v}
        self.view.redraw(self.store.put(saved))
        if saved.id != before.id:  # deleted meanwhile and saved again as a new task
            self.history.append(Undo("Create", saved.id, created=True))
        elif changed:
            self.history.append(Undo("Edit", saved.id, changed))

    async def delete(self, task: wire.Task) -> None:
        self.view.redraw(self.store.drop(task.id))
        try:
            await self.api.delete_task(task.id)
        except (ApiError, Unreachable) as exc:
            if not (isinstance(exc, ApiError) and exc.status == 404):
                self.rollback(task, exc, "Delete")
            return
        self.history.append(Undo("Delete", task.id, recreate=task))

    async def undo(self) -> None:
        """Take back the user's last change (never someone else's)."""
        if not self.history:
            self.view.tell("Nothing of yours to undo.")
            return
        undo = self.history.pop()
        task = self.store.tasks.get(undo.task_id)
        try:
            if undo.created and task is not None:
                self.view.redraw(self.store.drop(task.id))
                await self.api.delete_task(task.id)
            elif undo.recreate is not None:
                body = msgspec.to_builtins(editable_fields(undo.recreate))
                saved = await self.api.create_task(self.store.id, body)
                self.view.redraw(self.store.put(saved))
            elif undo.fields is not None and task is not None:
                label = f"Undo {undo.label.lower()}"
                await self.send(self.show(task, undo.fields, label, undo=False), undo.fields, label)
            else:
                self.view.tell("That task is gone; nothing to undo.")
                return
        except (ApiError, Unreachable) as exc:
            self.view.report(exc, f"undo {undo.label.lower()}")
            return
        self.view.tell(f"Undid: {undo.label}")
