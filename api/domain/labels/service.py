"""Labels: list (any member), create, change, delete (editor+); the ids a task may carry."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Label, Task, TaskLabel, utcnow
from api.db.session import UnitOfWork
from api.domain.activity.recorder import CHANGES
from api.domain.errors import Invalid, NotFound
from api.domain.labels.schemas import label_out, name_key
from api.domain.projects.authz import require_role
from api.domain.recording import Change, record_changes
from api.domain.tasks.schemas import task_out
from api.security import AuthUser
from api.wire import LABELS_MAX, LabelCreate, LabelUpdate, Role
from api.wire import Label as LabelOut

LABEL_NOT_FOUND = "Label not found"
DUPLICATE = "A label with this name already exists in the project (names ignore case)"


async def checked_labels(
    session: AsyncSession, project_id: uuid.UUID, label_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """The distinct ids, each a label of this project, else 400. The rows are read under a share
    lock: a label deleted meanwhile either went first (and this refuses) or waits for this commit
    (and its cascade then takes it off the task), never a foreign-key error."""
    wanted = list(dict.fromkeys(label_ids))
    if not wanted:
        return wanted
    found = set(
        await session.scalars(
            select(Label.id)
            .where(Label.project_id == project_id, Label.id.in_(wanted))
            .with_for_update(read=True)
        )
    )
    if len(found) != len(wanted):
        raise Invalid("labels must be labels of this project")
    return wanted


async def replace_labels(
    session: AsyncSession,
    task_ids: Sequence[uuid.UUID],
    remove: Iterable[uuid.UUID] | None,
    add: list[uuid.UUID],
) -> None:
    """Take `remove` (None: every label) off the tasks, then put `add` on: two statements for
    any number of tasks, and the same on both backends (no ON CONFLICT)."""
    gone = delete(TaskLabel).where(TaskLabel.task_id.in_(task_ids))
    if remove is not None:
        gone = gone.where(TaskLabel.label_id.in_([*remove, *add]))
    await session.execute(gone)
    if add:
        await session.execute(
            insert(TaskLabel),
            [{"task_id": t, "label_id": label} for t in task_ids for label in add],
        )


class LabelService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def _role(
        self, project_id: uuid.UUID, user_id: uuid.UUID, minimum: Role, detail: str
    ) -> Role:
        try:
            return await require_role(self.session, project_id, user_id, minimum)
        except NotFound:
            raise NotFound(detail) from None

    async def _label(self, label_id: uuid.UUID, user_id: uuid.UUID) -> Label:
        label = await self.session.get(Label, label_id)
        if label is None:
            raise NotFound(LABEL_NOT_FOUND)
        await self._role(label.project_id, user_id, "editor", LABEL_NOT_FOUND)
        return label

    async def _flush_unique(self) -> None:
        """A name taken by a concurrent writer since the check is the same 400."""
        try:
            await self.session.flush()
        except IntegrityError:
            await self.uow.rollback()
            raise Invalid(DUPLICATE) from None

    async def _taken(self, project_id: uuid.UUID, name: str, label_id: uuid.UUID | None) -> None:
        stmt = select(Label.id).where(
            Label.project_id == project_id, Label.name_key == name_key(name)
        )
        if label_id is not None:
            stmt = stmt.where(Label.id != label_id)
        if await self.session.scalar(stmt) is not None:
            raise Invalid(DUPLICATE)

    async def list(self, project_id: uuid.UUID, user_id: uuid.UUID) -> list[LabelOut]:
        await self._role(project_id, user_id, "viewer", "Project not found")
        rows = await self.session.scalars(
            select(Label).where(Label.project_id == project_id).order_by(Label.name_key, Label.id)
        )
        return [label_out(label) for label in rows]

    async def create(self, project_id: uuid.UUID, data: LabelCreate, actor: AuthUser) -> LabelOut:
        await self._role(project_id, actor.id, "editor", "Project not found")
        count = await self.session.scalar(
            select(func.count()).select_from(Label).where(Label.project_id == project_id)
        )
        if (count or 0) >= LABELS_MAX:
            raise Invalid(f"A project has at most {LABELS_MAX} labels")
        await self._taken(project_id, data.name, None)
        label = Label(
            project_id=project_id, name=data.name, name_key=name_key(data.name), color=data.color
        )
        self.session.add(label)
        await self._flush_unique()
        out = label_out(label)
        await record_changes(
            self.uow, project_id, actor, [("label:created", msgspec.to_builtins(out), {})]
        )
        await self.uow.commit()
        return out

    async def update(self, label_id: uuid.UUID, data: LabelUpdate, actor: AuthUser) -> LabelOut:
        label = await self._label(label_id, actor.id)
        changes: dict[str, list[Any]] = {}
        if data.name is not msgspec.UNSET and data.name != label.name:
            await self._taken(label.project_id, data.name, label.id)
            changes["name"] = [label.name, data.name]
            label.name, label.name_key = data.name, name_key(data.name)
        if data.color is not msgspec.UNSET and data.color != label.color:
            changes["color"] = [label.color, data.color]
            label.color = data.color
        out = label_out(label)
        if not changes:
            return out
        await self._flush_unique()
        change: Change = ("label:updated", msgspec.to_builtins(out), {CHANGES: changes})
        await record_changes(self.uow, label.project_id, actor, [change])
        await self.uow.commit()
        return out

    async def delete(self, label_id: uuid.UUID, actor: AuthUser) -> None:
        """The label goes, and off every task that carried it: each such task is a new version
        with a `task:updated`, so a board that keeps tasks by version sees the change too."""
        label = await self._label(label_id, actor.id)
        carriers = select(TaskLabel.task_id).where(TaskLabel.label_id == label.id)
        task_ids = list(
            await self.session.scalars(
                update(Task)
                .where(Task.id.in_(carriers))
                .values(version=Task.version + 1, updated_at=utcnow(), updated_by=actor.id)
                .returning(Task.id)
            )
        )
        label_data = msgspec.to_builtins(label_out(label))
        await self.session.execute(delete(Label).where(Label.id == label.id))
        tasks = await self.session.scalars(
            select(Task)
            .where(Task.id.in_(task_ids))
            .order_by(Task.id)
            .execution_options(populate_existing=True)
        )
        updated: list[Change] = []
        for task in tasks:
            body = msgspec.to_builtins(task_out(task))
            old = sorted([*body["labels"], str(label.id)])
            updated.append(("task:updated", body, {CHANGES: {"labels": [old, body["labels"]]}}))
        updated.append(("label:deleted", label_data, {}))
        await record_changes(self.uow, label.project_id, actor, updated)
        await self.uow.commit()
