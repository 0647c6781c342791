"""Checklist items: add (≤ 100 a task), change, remove; each bumps the task (editor+)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import delete, func, select, update

from api.db.models import ChecklistItem, Task, utcnow
from api.db.session import UnitOfWork
from api.db.unversioned import apply_to_current
from api.domain.activity.recorder import CHANGES
from api.domain.errors import Invalid, NotFound
from api.domain.projects.authz import member_ids, require_role
from api.domain.tasks.schemas import task_out
from api.events import DomainEvent
from api.security import AuthUser
from api.wire import CHECKLIST_MAX_ITEMS, ChecklistItemCreate, ChecklistItemUpdate
from api.wire import ChecklistItem as ItemOut

TASK_NOT_FOUND = "Task not found"
ITEM_NOT_FOUND = "Checklist item not found"
POSITION_STEP = 1024.0


def item_out(item: ChecklistItem) -> ItemOut:
    return msgspec.convert(item, ItemOut, from_attributes=True)


class ChecklistService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def _editable(self, task_id: uuid.UUID, actor: AuthUser, detail: str) -> Task:
        """The task, locked and one version newer, for an editor+ of its project.

        Taking the task's row first (its version bump is an UPDATE) serialises the writes to
        one checklist, so the item count and the next position are read race-free; the item
        itself is then written as its own row, so concurrent changes to two items both apply.
        """
        task = await self.session.get(Task, task_id)
        if task is None:
            raise NotFound(detail)
        try:
            await require_role(self.session, task.project_id, actor.id, "editor")
        except NotFound:
            raise NotFound(detail) from None
        bumped = await apply_to_current(
            self.session, Task, task_id, {"updated_at": utcnow(), "updated_by": actor.id}
        )
        if bumped is None:  # deleted meanwhile
            raise NotFound(detail)
        return bumped

    async def _item(self, item_id: uuid.UUID, actor: AuthUser) -> tuple[ChecklistItem, Task]:
        item = await self.session.get(ChecklistItem, item_id)
        if item is None:
            raise NotFound(ITEM_NOT_FOUND)
        return item, await self._editable(item.task_id, actor, ITEM_NOT_FOUND)

    async def _changed(
        self, task: Task, actor: AuthUser, old: ItemOut | None, new: ItemOut | None
    ) -> None:
        """The whole task, newer, to the room; the item's before and after to the history."""
        await self.session.refresh(task, ["checklist"])
        change: list[Any] = [msgspec.to_builtins(old), msgspec.to_builtins(new)]
        self.uow.record(
            DomainEvent(
                name="task:updated",
                project_id=task.project_id,
                data=msgspec.to_builtins(task_out(task)),
                actor=actor.actor(),
                member_ids=await member_ids(self.session, task.project_id),
                extra={CHANGES: {"checklist": change}},
            )
        )
        await self.uow.commit()

    async def create(
        self, task_id: uuid.UUID, data: ChecklistItemCreate, actor: AuthUser
    ) -> ItemOut:
        task = await self._editable(task_id, actor, TASK_NOT_FOUND)
        count, top = (
            await self.session.execute(
                select(func.count(), func.max(ChecklistItem.position)).where(
                    ChecklistItem.task_id == task_id
                )
            )
        ).one()
        if count >= CHECKLIST_MAX_ITEMS:
            raise Invalid(f"A task has at most {CHECKLIST_MAX_ITEMS} checklist items")
        position = data.position if data.position is not None else (top or 0.0) + POSITION_STEP
        item = ChecklistItem(task_id=task_id, text=data.text, done=data.done, position=position)
        self.session.add(item)
        await self.session.flush()
        out = item_out(item)
        await self._changed(task, actor, None, out)
        return out

    async def update(
        self, item_id: uuid.UUID, data: ChecklistItemUpdate, actor: AuthUser
    ) -> ItemOut:
        item, task = await self._item(item_id, actor)
        changes = {
            f: getattr(data, f)
            for f in data.__struct_fields__
            if getattr(data, f) is not msgspec.UNSET
        }
        old = item_out(item)
        if changes:
            changed = await self.session.scalar(
                update(ChecklistItem)
                .where(ChecklistItem.id == item_id)
                .values(**changes)
                .returning(ChecklistItem),
                execution_options={"populate_existing": True},
            )
            if changed is None:  # removed meanwhile
                raise NotFound(ITEM_NOT_FOUND)
            item = changed
        out = item_out(item)
        await self._changed(task, actor, old, out)
        return out

    async def delete(self, item_id: uuid.UUID, actor: AuthUser) -> None:
        item, task = await self._item(item_id, actor)
        old = item_out(item)
        gone = await self.session.execute(
            delete(ChecklistItem).where(ChecklistItem.id == item_id).returning(ChecklistItem.id)
        )
        if gone.first() is None:  # removed meanwhile
            raise NotFound(ITEM_NOT_FOUND)
        await self._changed(task, actor, old, None)
