"""The user's own changes to a board's tasks: shown at once, sent one at a time per task (or
one bulk request for the marked ones), rolled back with a reason when the server refuses, and
undoable. Free of widgets, so it is tested
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


@dataclass
class BulkUndo:
    """How to take back one bulk change: the tasks as they were, and what was set (None: the
    tasks were deleted)."""

    label: str
    before: dict[uuid.UUID, wire.Task]
    fields: dict[str, Any] | None = None


def bulk_applied(task: wire.Task, fields: dict[str, Any]) -> wire.Task:
    """The task as a bulk `set` leaves it (contract §9): fields set, labels added and removed."""
    plain = {k: v for k, v in fields.items() if k not in ("add_labels", "remove_labels")}
    add, remove = fields.get("add_labels", []), set(fields.get("remove_labels", []))
    labels = [i for i in task.labels if i not in remove] + [i for i in add if i not in task.labels]
    return msgspec.structs.replace(task, **plain, labels=labels)


def bulk_reverse(before: wire.Task, fields: dict[str, Any]) -> dict[str, Any]:
    """The bulk `set` that takes one task back from `fields` to how it was `before`."""
    back = {k: getattr(before, k) for k in fields if k not in ("add_labels", "remove_labels")}
    if added := [i for i in fields.get("add_labels", []) if i not in before.labels]:
        back["remove_labels"] = added
    if removed := [i for i in fields.get("remove_labels", []) if i in before.labels]:
        back["add_labels"] = removed
    return back


def editable_fields(task: wire.Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "assignee_id": task.assignee_id,
        "due_date": task.due_date,
        "position": task.position,
        "labels": task.labels,
    }


class Edits:
    """Optimistic writes and the undo history of one project's board."""

    def __init__(self, store: ProjectStore, api: ApiClient, view: View) -> None:
        self.store = store
        self.api = api
        self.view = view
        self.history: list[Undo | BulkUndo] = []
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

    async def bulk_set(
        self, tasks: list[wire.Task], fields: dict[str, Any], label: str, undo: bool = True
    ) -> bool:
        """Show `fields` on every task now and send them in one request; all or none stay."""
        before = {t.id: self.store.tasks.get(t.id, t) for t in tasks}
        touched: set[str] = set()
        for task in before.values():
            touched |= self.store.show(bulk_applied(task, fields))
        self.view.redraw(touched)
        try:
            saved = await self.api.bulk_set(self.store.id, list(before), fields)
        except (ApiError, Unreachable) as exc:
            self.bulk_rollback(before, exc, label)
            return False
        touched = set()
        for task in saved:
            touched |= self.store.put(task)
        self.view.redraw(touched)
        if undo:
            self.history.append(BulkUndo(label, before, fields))
        return True

    async def bulk_delete(self, tasks: list[wire.Task]) -> None:
        before = {t.id: self.store.tasks.get(t.id, t) for t in tasks}
        touched: set[str] = set()
        for task_id in before:
            touched |= self.store.drop(task_id)
        self.view.redraw(touched)
        label = f"Delete {len(before)} tasks"
        try:
            await self.api.bulk_delete(self.store.id, list(before))
        except (ApiError, Unreachable) as exc:
            self.bulk_rollback(before, exc, label)
            return
        self.history.append(BulkUndo(label, before))

    def bulk_rollback(self, before: dict[uuid.UUID, wire.Task], exc: Exception, label: str) -> None:
        touched: set[str] = set()
        for task in before.values():
            touched |= self.store.show(task)
        self.view.redraw(touched)
        reason = exc.detail if isinstance(exc, ApiError) else str(exc)
        self.view.tell(f"{label} undone: {reason}", "error")

    async def recreate(self, task: wire.Task) -> wire.Task:
        """A deleted task again, with its labels that still exist; later undos follow its new id."""
        fields = editable_fields(task)
        fields["labels"] = [i for i in task.labels if i in self.store.labels]
        saved = await self.api.create_task(self.store.id, msgspec.to_builtins(fields))
        self.view.redraw(self.store.put(saved))
        for entry in self.history:
            if isinstance(entry, BulkUndo) and task.id in entry.before:
                entry.before[saved.id] = entry.before.pop(task.id)
            elif isinstance(entry, Undo) and entry.task_id == task.id:
                entry.task_id = saved.id
        return saved

    async def undo_bulk(self, undo: BulkUndo) -> bool:
        """One bulk request back per distinct set of old values (one, when they were alike);
        a bulk delete is recreated task by task."""
        if undo.fields is None:
            for task in undo.before.values():
                await self.recreate(task)
            return True
        groups: dict[bytes, tuple[dict[str, Any], list[wire.Task]]] = {}
        for task_id, old in undo.before.items():
            if task_id in self.store.tasks:
                back = bulk_reverse(old, undo.fields)
                key = msgspec.json.encode(back, order="sorted")
                groups.setdefault(key, (back, []))[1].append(self.store.tasks[task_id])
        if not groups:
            self.view.tell("Those tasks are gone; nothing to undo.")
            return False
        label = f"Undo {undo.label.lower()}"
        results = [await self.bulk_set(ts, back, label, undo=False) for back, ts in groups.values()]
        return all(results)

    async def undo(self) -> None:
        """Take back the user's last change (never someone else's)."""
        if not self.history:
            self.view.tell("Nothing of yours to undo.")
            return
        undo = self.history.pop()
        if isinstance(undo, BulkUndo):
            try:
                if not await self.undo_bulk(undo):
                    return
            except (ApiError, Unreachable) as exc:
                self.view.report(exc, f"undo {undo.label.lower()}")
                return
            self.view.tell(f"Undid: {undo.label}")
            return
        task = self.store.tasks.get(undo.task_id)
        try:
            if undo.created and task is not None:
                self.view.redraw(self.store.drop(task.id))
                await self.api.delete_task(task.id)
            elif undo.recreate is not None:
                await self.recreate(undo.recreate)
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
