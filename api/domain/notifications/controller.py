"""Routes: /api/me/notifications and /api/me/notifications/read (contract §8)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody, Parameter

from api.db.session import UnitOfWork
from api.domain.deps import AuthRequest
from api.domain.notifications.service import NotificationService
from api.openapi import responses
from api.runtime import Runtime
from api.wire import MarkRead, NotificationPage

Limit = Annotated[int, Parameter(ge=1, le=200)]


async def provide_notification_service(
    uow: NamedDependency[UnitOfWork], runtime: NamedDependency[Runtime]
) -> NotificationService:
    return NotificationService(uow, runtime.notifications)


class NotificationController(Controller):
    path = "/api/me/notifications"
    tags = ["notifications"]
    dependencies = {"notifications": Provide(provide_notification_service)}

    @get(
        "/",
        summary="Your notifications, newest first, with the unread count; page on with before=next",
        responses=responses(400, 401),
    )
    async def list_notifications(
        self,
        request: AuthRequest,
        notifications: NamedDependency[NotificationService],
        unread: FromQuery[bool] = False,
        limit: Limit = 50,
        before: FromQuery[uuid.UUID | None] = None,
    ) -> NotificationPage:
        return await notifications.page(request.user.id, unread, limit, before)

    @post(
        "/read",
        summary="Mark notifications read: {ids: [...]} or {all: true} (others' ids are ignored)",
        status_code=204,
        responses=responses(400, 401, 413),
    )
    async def mark_read(
        self,
        request: AuthRequest,
        data: JSONBody[MarkRead],
        notifications: NamedDependency[NotificationService],
    ) -> None:
        await notifications.mark_read(request.user.id, data)
