"""Routes: /api/projects/{id}/tasks and /api/tasks/{id}."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.db.session import UnitOfWork
from api.domain.deps import AuthRequest, provide_with_uow
from api.domain.idempotency import Idempotent, provide_idempotent
from api.domain.tasks.bulk import BulkService
from api.domain.tasks.service import NOBODY, TaskFilters, TaskService
from api.openapi import responses
from api.runtime import Runtime
from api.wire import (
    LABELS_MAX,
    LINE,
    BulkDeleted,
    BulkRequest,
    BulkUpdated,
    TaskCreate,
    TaskPage,
    TaskPriority,
    TaskStatus,
    TaskUpdate,
)
from api.wire import Task as TaskOut

TaskSort = Annotated[str, Parameter(pattern=r"\A(position|-updated_at|due_date|priority)\Z")]
# A member's id, or `none` for tasks nobody is assigned to.
_UUID = r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}"
AssigneeFilter = Annotated[
    str | None,
    Parameter(
        pattern=rf"\A(none|{_UUID})\Z",
        description="a member's id, or `none`: tasks without an assignee",
    ),
]


def _assignee(value: str | None) -> uuid.UUID | None:
    return NOBODY if value == "none" else uuid.UUID(value) if value else None


async def provide_bulk_service(
    uow: NamedDependency[UnitOfWork], runtime: NamedDependency[Runtime]
) -> BulkService:
    return BulkService(uow, runtime.settings.failpoints)


class TaskController(Controller):
    tags = ["tasks"]
    dependencies = {
        "tasks": provide_with_uow(TaskService),
        "bulk": Provide(provide_bulk_service),
        "once": Provide(provide_idempotent),
    }

    @post(
        "/api/projects/{project_id:uuid}/tasks",
        summary="Create a task (editor+)",
        status_code=201,
        responses=responses(400, 401, 403, 404, 409, 413, 422),
    )
    async def create_task(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[TaskCreate],
        tasks: NamedDependency[TaskService],
        once: NamedDependency[Idempotent],
    ) -> TaskOut:
        return await once.run(data, TaskOut, lambda: tasks.create(project_id, data, request.user))

    @get(
        "/api/projects/{project_id:uuid}/tasks",
        summary="Filter, search, sort and page a project's tasks",
        responses=responses(400, 401, 404),
    )
    async def list_tasks(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        tasks: NamedDependency[TaskService],
        status: FromQuery[TaskStatus | None] = None,
        priority: FromQuery[TaskPriority | None] = None,
        assignee_id: AssigneeFilter = None,
        label: Annotated[list[uuid.UUID] | None, Parameter(max_items=LABELS_MAX)] = None,
        due_before: FromQuery[dt.date | None] = None,
        due_after: FromQuery[dt.date | None] = None,
        overdue: FromQuery[bool] = False,
        q: Annotated[str | None, Parameter(max_length=200, pattern=LINE)] = None,
        sort: TaskSort = "position",
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=10_000_000)] = 0,
    ) -> TaskPage:
        filters = TaskFilters(
            status=status,
            priority=priority,
            assignee_id=_assignee(assignee_id),
            labels=label or [],
            due_before=due_before,
            due_after=due_after,
            overdue=overdue,
            q=q,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return await tasks.list(project_id, filters, request.user.id)

    @post(
        "/api/projects/{project_id:uuid}/tasks/bulk",
        summary="Set fields or labels on 1 to 500 tasks, or delete them: all or nothing (editor+)",
        status_code=200,
        responses=responses(400, 401, 403, 404, 413),
    )
    async def bulk_tasks(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[BulkRequest],
        bulk: NamedDependency[BulkService],
    ) -> BulkUpdated | BulkDeleted:
        return await bulk.apply(project_id, data, request.user)

    @get("/api/tasks/{task_id:uuid}", summary="A task", responses=responses(401, 404))
    async def get_task(
        self,
        request: AuthRequest,
        task_id: FromPath[uuid.UUID],
        tasks: NamedDependency[TaskService],
    ) -> TaskOut:
        return await tasks.get(task_id, request.user.id)

    @patch(
        "/api/tasks/{task_id:uuid}",
        summary="Change any task fields; a stale `version` gets 409 with the current task",
        responses=responses(400, 401, 403, 404, 409, 413, 422),
    )
    async def update_task(
        self,
        request: AuthRequest,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[TaskUpdate],
        tasks: NamedDependency[TaskService],
        once: NamedDependency[Idempotent],
    ) -> TaskOut:
        return await once.run(data, TaskOut, lambda: tasks.update(task_id, data, request.user))

    @delete(
        "/api/tasks/{task_id:uuid}",
        summary="Delete a task (editor+)",
        responses=responses(400, 401, 403, 404, 409, 422),
    )
    async def delete_task(
        self,
        request: AuthRequest,
        task_id: FromPath[uuid.UUID],
        tasks: NamedDependency[TaskService],
        once: NamedDependency[Idempotent],
    ) -> None:
        await once.run(None, type(None), lambda: tasks.delete(task_id, request.user))
