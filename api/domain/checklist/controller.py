"""Routes: /api/tasks/{id}/checklist and /api/checklist/{item_id} (contract §9)."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.domain.checklist.service import ChecklistService
from api.domain.deps import AuthRequest, provide_with_uow
from api.openapi import responses
from api.wire import ChecklistItem, ChecklistItemCreate, ChecklistItemUpdate


class ChecklistController(Controller):
    tags = ["checklist"]
    dependencies = {"checklist": provide_with_uow(ChecklistService)}

    @post(
        "/api/tasks/{task_id:uuid}/checklist",
        summary="Add a checklist item, at the end without `position` (editor+; at most 100)",
        status_code=201,
        responses=responses(400, 401, 403, 404, 413),
    )
    async def add_item(
        self,
        request: AuthRequest,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[ChecklistItemCreate],
        checklist: NamedDependency[ChecklistService],
    ) -> ChecklistItem:
        return await checklist.create(task_id, data, request.user)

    @patch(
        "/api/checklist/{item_id:uuid}",
        summary="Tick, untick, reword or move one checklist item (editor+)",
        responses=responses(400, 401, 403, 404, 413),
    )
    async def update_item(
        self,
        request: AuthRequest,
        item_id: FromPath[uuid.UUID],
        data: JSONBody[ChecklistItemUpdate],
        checklist: NamedDependency[ChecklistService],
    ) -> ChecklistItem:
        return await checklist.update(item_id, data, request.user)

    @delete(
        "/api/checklist/{item_id:uuid}",
        summary="Remove one checklist item (editor+)",
        responses=responses(401, 403, 404),
    )
    async def delete_item(
        self,
        request: AuthRequest,
        item_id: FromPath[uuid.UUID],
        checklist: NamedDependency[ChecklistService],
    ) -> None:
        await checklist.delete(item_id, request.user)
