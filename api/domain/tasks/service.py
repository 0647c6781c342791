"""Tasks: create, filter, update with optimistic concurrency, delete."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.orm import noload
from sqlalchemy.orm.exc import StaleDataError

from api.db.models import Membership, Task, TaskLabel, utcnow
from api.db.session import UnitOfWork
from api.db.unversioned import apply_to_current
from api.domain.activity.recorder import CHANGES, TITLE
from api.domain.errors import Invalid, NotFound
from api.domain.labels.service import checked_labels, replace_labels
from api.domain.projects.authz import check_role, member_ids, require_role
from api.domain.projects.service import stale
from api.domain.tasks.schemas import task_out
from api.events import DomainEvent
from api.security import AuthUser
from api.wire import EventName, Role, TaskCreate, TaskPage, TaskUpdate
from api.wire import Task as TaskOut

TASK_NOT_FOUND = "Task not found"
POSITION_STEP = 1024.0
# `assignee_id=none` in the task list: no real user has the nil UUID.
NOBODY = uuid.UUID(int=0)
_PRIORITY_RANK = case({"urgent": 0, "high": 1, "medium": 2, "low": 3}, value=Task.priority, else_=4)


class TaskFilters(msgspec.Struct, kw_only=True):
    status: str | None = None
    priority: str | None = None
    # NOBODY: tasks without an assignee (`assignee_id=none`)
    assignee_id: uuid.UUID | None = None
    labels: list[uuid.UUID] = msgspec.field(default_factory=list)  # carrying all of them
    due_before: dt.date | None = None  # inclusive
    due_after: dt.date | None = None  # inclusive
    overdue: bool = False  # due before today (UTC) and not done
    q: str | None = None
    sort: str = "position"
    limit: int = 100
    offset: int = 0


class TaskService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def _record(
        self,
        name: EventName,
        task: Task,
        data: dict[str, Any],
        actor: AuthUser,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.uow.record(
            DomainEvent(
                name=name,
                project_id=task.project_id,
                data=data,
                actor=actor.actor(),
                member_ids=await member_ids(self.session, task.project_id),
                extra=extra or {},
            )
        )

    async def check_assignee(self, project_id: uuid.UUID, assignee_id: uuid.UUID | None) -> None:
        """Called before the task is written (a stranger is a 400, not a foreign-key error) and
        again after it, the membership read under a share lock (on SQLite this transaction is
        the one writer by then): a removal racing the assignment either came first, and this
        refuses, or waits for this commit and then clears the assignee."""
        if assignee_id is None:
            return
        member = await self.session.scalar(
            select(Membership.user_id)
            .where(Membership.project_id == project_id, Membership.user_id == assignee_id)
            .with_for_update(read=True)
        )
        if member is None:
            raise Invalid(detail="assignee_id must be a member of the project")

    async def _next_position(self, project_id: uuid.UUID, status: str) -> float:
        top = await self.session.scalar(
            select(func.max(Task.position)).where(
                Task.project_id == project_id, Task.status == status
            )
        )
        return (top or 0.0) + POSITION_STEP

    async def _task_for(
        self, task_id: uuid.UUID, user_id: uuid.UUID, minimum: Role, *, collections: bool = True
    ) -> Task:
        """The task and the caller's role in its project, read in one statement.

        Without `collections` its labels and checklist are not read: for a caller that
        re-reads the row with them (an unversioned save) they would be thrown away.
        """
        query = (
            select(Task, Membership.role)
            .outerjoin(
                Membership,
                (Membership.project_id == Task.project_id) & (Membership.user_id == user_id),
            )
            .where(Task.id == task_id)
        )
        if not collections:
            query = query.options(noload(Task.label_links), noload(Task.checklist))
        row = (await self.session.execute(query)).first()
        if row is None:
            raise NotFound(detail=TASK_NOT_FOUND)
        try:
            check_role(row[1], minimum)
        except NotFound:
            raise NotFound(detail=TASK_NOT_FOUND) from None
        task: Task = row[0]
        return task

    async def create(self, project_id: uuid.UUID, data: TaskCreate, actor: AuthUser) -> TaskOut:
        await require_role(self.session, project_id, actor.id, "editor")
        await self.check_assignee(project_id, data.assignee_id)
        now = utcnow()
        task = Task(
            project_id=project_id,
            title=data.title,
            description=data.description,
            status=data.status,
            priority=data.priority,
            assignee_id=data.assignee_id,
            due_date=data.due_date,
            position=(
                data.position
                if data.position is not None
                else await self._next_position(project_id, data.status)
            ),
            created_at=now,
            updated_at=now,
            created_by=actor.id,
            updated_by=actor.id,
        )
        labels = await checked_labels(self.session, project_id, data.labels)
        self.session.add(task)
        await self.session.flush()
        await replace_labels(self.session, [task.id], None, labels)
        await self.session.refresh(task, ["label_links", "checklist"])
        await self.check_assignee(project_id, data.assignee_id)
        out = task_out(task)
        await self._record("task:created", task, msgspec.to_builtins(out), actor)
        await self.uow.commit()
        return out

    def _filtered(self, project_id: uuid.UUID, f: TaskFilters) -> Select[Task]:
        stmt = select(Task).where(Task.project_id == project_id)
        if f.status:
            stmt = stmt.where(Task.status == f.status)
        if f.priority:
            stmt = stmt.where(Task.priority == f.priority)
        if f.assignee_id == NOBODY:
            stmt = stmt.where(Task.assignee_id.is_(None))
        elif f.assignee_id:
            stmt = stmt.where(Task.assignee_id == f.assignee_id)
        for label_id in dict.fromkeys(f.labels):
            stmt = stmt.where(
                exists().where(TaskLabel.task_id == Task.id, TaskLabel.label_id == label_id)
            )
        if f.due_before is not None:
            stmt = stmt.where(Task.due_date <= f.due_before)
        if f.due_after is not None:
            stmt = stmt.where(Task.due_date >= f.due_after)
        if f.overdue:
            today = dt.datetime.now(dt.UTC).date()
            stmt = stmt.where(Task.due_date < today, Task.status != "done")
        if f.q:
            escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(Task.title).like(pattern, escape="\\"),
                    func.lower(Task.description).like(pattern, escape="\\"),
                )
            )
        return stmt

    async def list(self, project_id: uuid.UUID, f: TaskFilters, user_id: uuid.UUID) -> TaskPage:
        await require_role(self.session, project_id, user_id)
        stmt = self._filtered(project_id, f)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        order = {
            "position": (Task.status, Task.position, Task.id),
            "-updated_at": (Task.updated_at.desc(), Task.id),
            "due_date": (Task.due_date.is_(None), Task.due_date, Task.position, Task.id),
            "priority": (_PRIORITY_RANK, Task.position, Task.id),
        }[f.sort]
        rows = await self.session.scalars(stmt.order_by(*order).limit(f.limit).offset(f.offset))
        return TaskPage(items=[task_out(t) for t in rows], total=total or 0)

    async def get(self, task_id: uuid.UUID, user_id: uuid.UUID) -> TaskOut:
        return task_out(await self._task_for(task_id, user_id, "viewer"))

    async def update(self, task_id: uuid.UUID, data: TaskUpdate, actor: AuthUser) -> TaskOut:
        # An unversioned save that leaves the labels alone gets them and the checklist back
        # with the written row (apply_to_current), as they are under its lock.
        rereads = data.version is msgspec.UNSET and data.labels is msgspec.UNSET
        task = await self._task_for(task_id, actor.id, "editor", collections=not rereads)
        if data.version is not msgspec.UNSET and data.version != task.version:
            raise stale(task_out(task))
        changes = {
            f: getattr(data, f)
            for f in data.__struct_fields__
            if f != "version" and getattr(data, f) is not msgspec.UNSET
        }
        if "assignee_id" in changes:
            await self.check_assignee(task.project_id, changes["assignee_id"])
        labels = changes.pop("labels", None)
        if labels is not None:
            labels = await checked_labels(self.session, task.project_id, labels)
        # The old values, for the activity history (as read before the write: an unversioned
        # save racing another may show the older of the two as "old").
        old = {f: msgspec.to_builtins(getattr(task, f)) for f in changes}
        if labels is not None:
            old["labels"] = msgspec.to_builtins(task.labels)
        changes |= {"updated_at": utcnow(), "updated_by": actor.id}
        if data.version is msgspec.UNSET:
            current = await apply_to_current(self.session, Task, task_id, changes)
            if current is None:  # deleted meanwhile
                raise NotFound(detail=TASK_NOT_FOUND)
            task = current
        else:
            for field, value in changes.items():
                setattr(task, field, value)
            try:
                await self.session.flush()
            except StaleDataError:
                await self.session.rollback()
                current = await self.session.get(Task, task_id, populate_existing=True)
                if current is None:
                    raise NotFound(detail=TASK_NOT_FOUND) from None
                raise stale(task_out(current)) from None
        if "assignee_id" in changes:
            await self.check_assignee(task.project_id, changes["assignee_id"])
        if labels is not None:
            await replace_labels(self.session, [task.id], None, labels)
            await self.session.refresh(task, ["label_links"])
        out = task_out(task)
        body = msgspec.to_builtins(out)
        diff = {f: [v, body[f]] for f, v in old.items() if v != body[f]}
        await self._record("task:updated", task, body, actor, {CHANGES: diff})
        await self.uow.commit()
        return out

    async def delete(self, task_id: uuid.UUID, actor: AuthUser) -> None:
        task = await self._task_for(task_id, actor.id, "editor")
        await self._record(
            "task:deleted",
            task,
            {"id": str(task.id), "project_id": str(task.project_id)},
            actor,
            {TITLE: task.title},
        )
        await self.session.delete(task)
        await self.uow.commit()
