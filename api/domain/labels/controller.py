"""Routes: /api/projects/{id}/labels and /api/labels/{id} (contract §9)."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.domain.deps import AuthRequest, provide_with_uow
from api.domain.labels.service import LabelService
from api.openapi import responses
from api.wire import Label, LabelCreate, LabelUpdate


class LabelController(Controller):
    tags = ["labels"]
    dependencies = {"labels": provide_with_uow(LabelService)}

    @get(
        "/api/projects/{project_id:uuid}/labels",
        summary="A project's labels, by name (any member)",
        responses=responses(401, 404),
    )
    async def list_labels(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        labels: NamedDependency[LabelService],
    ) -> list[Label]:
        return await labels.list(project_id, request.user.id)

    @post(
        "/api/projects/{project_id:uuid}/labels",
        summary="Create a label (editor+; names unique per project, ignoring case)",
        status_code=201,
        responses=responses(400, 401, 403, 404, 413),
    )
    async def create_label(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[LabelCreate],
        labels: NamedDependency[LabelService],
    ) -> Label:
        return await labels.create(project_id, data, request.user)

    @patch(
        "/api/labels/{label_id:uuid}",
        summary="Rename or recolour a label (editor+)",
        responses=responses(400, 401, 403, 404, 413),
    )
    async def update_label(
        self,
        request: AuthRequest,
        label_id: FromPath[uuid.UUID],
        data: JSONBody[LabelUpdate],
        labels: NamedDependency[LabelService],
    ) -> Label:
        return await labels.update(label_id, data, request.user)

    @delete(
        "/api/labels/{label_id:uuid}",
        summary="Delete a label; it comes off every task that carried it (editor+)",
        responses=responses(401, 403, 404),
    )
    async def delete_label(
        self,
        request: AuthRequest,
        label_id: FromPath[uuid.UUID],
        labels: NamedDependency[LabelService],
    ) -> None:
        await labels.delete(label_id, request.user)
