"""Routes: /api/projects/{id}/activity and /api/tasks/{id}/activity (contract §8)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, Parameter

from api.db.session import UnitOfWork
from api.domain.activity.service import ActivityService
from api.domain.deps import AuthRequest
from api.openapi import responses
from api.wire import ActivityPage

Limit = Annotated[int, Parameter(ge=1, le=200)]


async def provide_activity_service(uow: NamedDependency[UnitOfWork]) -> ActivityService:
    return ActivityService(uow.session)


class ActivityController(Controller):
    tags = ["activity"]
    dependencies = {"activity": Provide(provide_activity_service)}

    @get(
        "/api/projects/{project_id:uuid}/activity",
        summary="A project's history, newest first (any member); page on with `before=next`",
        responses=responses(400, 401, 404),
    )
    async def project_activity(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        activity: NamedDependency[ActivityService],
        limit: Limit = 50,
        before: FromQuery[uuid.UUID | None] = None,
    ) -> ActivityPage:
        return await activity.for_project(project_id, request.user.id, limit, before)

    @get(
        "/api/tasks/{task_id:uuid}/activity",
        summary="A task's history, newest first (any member); page on with `before=next`",
        responses=responses(400, 401, 404),
    )
    async def task_activity(
        self,
        request: AuthRequest,
        task_id: FromPath[uuid.UUID],
        activity: NamedDependency[ActivityService],
        limit: Limit = 50,
        before: FromQuery[uuid.UUID | None] = None,
    ) -> ActivityPage:
        return await activity.for_task(task_id, request.user.id, limit, before)
