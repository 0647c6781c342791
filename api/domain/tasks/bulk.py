"""Bulk changes: one request sets fields or labels on up to 500 of a project's tasks, or
deletes them (contract §9).

All-or-nothing: every id is checked (of this project, no duplicates) and every value
validated before anything is written; then one UPDATE for the rows, two statements for the
labels and one transaction, so a failure anywhere leaves every task as it was. Each task is
still its own `task:updated` (or `task:deleted`) after the commit, so boards, the cache and
the history see the same events as for single edits; the members are read once for all of
them. Positions are kept: tasks moved to another status keep their order among themselves.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import delete, select, update

from api.db.models import Task, TaskLabel, utcnow
from api.db.session import UnitOfWork
from api.domain.activity.recorder import CHANGES, TITLE, InjectedFailure
from api.domain.errors import Invalid
from api.domain.labels.service import checked_labels, replace_labels
from api.domain.projects.authz import require_role
from api.domain.recording import Change, record_changes
from api.domain.tasks.schemas import task_out
from api.domain.tasks.service import TaskService
from api.security import AuthUser
from api.settings import Failpoints
from api.wire import BulkDeleted, BulkRequest, BulkSet, BulkUpdated

# Failpoint `tasks.fail_bulk=1`: raise once every row of a bulk change is written, before the
# commit, to prove that nothing of it stays.
FAIL_BULK = "tasks.fail_bulk"
_FIELDS = ("status", "priority", "assignee_id", "due_date")


class BulkService:
    def __init__(self, uow: UnitOfWork, failpoints: Failpoints) -> None:
        self.uow = uow
        self.session = uow.session
        self.tasks = TaskService(uow)
        self.fail = bool(failpoints.get(FAIL_BULK))

    async def _locked(
        self, project_id: uuid.UUID, ids: list[uuid.UUID], *columns: Any
    ) -> dict[uuid.UUID, Any]:
        """The tasks' `columns` by id, their rows locked for this transaction; 400 unless every
        id is a task of this project, once. Plain rows, not ORM objects: 500 of them are cheap."""
        if len(set(ids)) != len(ids):
            raise Invalid("task_ids holds an id more than once")
        rows = await self.session.execute(
            select(Task.id, *columns)
            .where(Task.project_id == project_id, Task.id.in_(ids))
            .with_for_update()
        )
        found = {row[0]: row for row in rows}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise Invalid(
                f"{len(missing)} of task_ids are not tasks of this project",
                extra={"missing": missing[:20]},
            )
        return found

    async def _commit(self) -> None:
        if self.fail:
            raise InjectedFailure(f"failpoint {FAIL_BULK}")
        await self.uow.commit()

    async def apply(
        self, project_id: uuid.UUID, data: BulkRequest, actor: AuthUser
    ) -> BulkUpdated | BulkDeleted:
        await require_role(self.session, project_id, actor.id, "editor")
        if data.delete == (data.set is not None):
            raise Invalid("Send either set or delete: true")
        if data.set is None:
            return await self._delete(project_id, data.task_ids, actor)
        return await self._set(project_id, data.task_ids, data.set, actor)

    async def _delete(
        self, project_id: uuid.UUID, ids: list[uuid.UUID], actor: AuthUser
    ) -> BulkDeleted:
        titles = await self._locked(project_id, ids, Task.title)
        changes: list[Change] = [
            (
                "task:deleted",
                {"id": str(i), "project_id": str(project_id)},
                {TITLE: titles[i].title},
            )
            for i in ids
        ]
        await record_changes(self.uow, project_id, actor, changes)
        await self.session.execute(
            delete(Task).where(Task.id.in_(ids)).execution_options(synchronize_session=False)
        )
        await self._commit()
        return BulkDeleted(deleted=len(ids))

    async def _set(
        self, project_id: uuid.UUID, ids: list[uuid.UUID], s: BulkSet, actor: AuthUser
    ) -> BulkUpdated:
        changes = {f: getattr(s, f) for f in _FIELDS if getattr(s, f) is not msgspec.UNSET}
        add = await checked_labels(self.session, project_id, s.add_labels)
        remove = await checked_labels(self.session, project_id, s.remove_labels)
        if set(add) & set(remove):
            raise Invalid("A label cannot be both added and removed")
        if not (changes or add or remove):
            raise Invalid("set changes nothing")
        if "assignee_id" in changes:
            await self.tasks.check_assignee(project_id, changes["assignee_id"])
        locked = await self._locked(project_id, ids, *(getattr(Task, f) for f in changes))
        old = {i: msgspec.to_builtins(row._asdict()) for i, row in locked.items()}
        if add or remove:
            for i in ids:
                old[i]["labels"] = []
            for task_id, label_id in await self.session.execute(
                select(TaskLabel.task_id, TaskLabel.label_id)
                .where(TaskLabel.task_id.in_(ids))
                .order_by(TaskLabel.task_id, TaskLabel.label_id)
            ):
                old[task_id]["labels"].append(str(label_id))
            await replace_labels(self.session, ids, remove, add)
        # One UPDATE … RETURNING for the rows; their labels and checklists load with them.
        updated = await self.session.scalars(
            update(Task)
            .where(Task.id.in_(ids))
            .values(**changes, version=Task.version + 1, updated_at=utcnow(), updated_by=actor.id)
            .returning(Task),
            execution_options={"populate_existing": True},
        )
        fresh = {t.id: t for t in updated}
        if "assignee_id" in changes:
            await self.tasks.check_assignee(project_id, changes["assignee_id"])
        outs = [task_out(fresh[i]) for i in ids]
        updates: list[Change] = []
        for out in outs:
            body = msgspec.to_builtins(out)
            diff = {f: [v, body[f]] for f, v in old[out.id].items() if f != "id" and v != body[f]}
            updates.append(("task:updated", body, {CHANGES: diff}))
        await record_changes(self.uow, project_id, actor, updates)
        await self._commit()
        return BulkUpdated(tasks=outs)
