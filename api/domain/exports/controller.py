"""Routes: /api/projects/{id}/exports and /api/exports/{id} (contract §3, exports)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.response import File

from api.db.session import UnitOfWork
from api.domain.deps import AuthRequest
from api.domain.exports.formats import MEDIA_TYPES
from api.domain.exports.service import ExportService
from api.openapi import responses
from api.runtime import Runtime
from api.wire import ExportCreate, ExportJob

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Same key from the same caller: the same export job.",
    ),
]


async def provide_export_service(
    uow: NamedDependency[UnitOfWork], runtime: NamedDependency[Runtime]
) -> ExportService:
    assert runtime.exports is not None, "the exports installer did not run"
    return ExportService(
        uow,
        runtime.exports,
        runtime.export_limiter,
        webhook_allow_private=runtime.settings.webhook_allow_private,
    )


class ExportController(Controller):
    tags = ["exports"]
    dependencies = {"exports": Provide(provide_export_service)}

    @post(
        "/api/projects/{project_id:uuid}/exports",
        summary="Start an export of the project (any member)",
        status_code=202,
        responses=responses(400, 401, 404, 413, 429),
    )
    async def create_export(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ExportCreate],
        exports: NamedDependency[ExportService],
        idempotency_key: IdempotencyKey = None,
    ) -> ExportJob:
        return await exports.create(project_id, data, request.user, idempotency_key)

    @get(
        "/api/projects/{project_id:uuid}/exports",
        summary="The project's export jobs, newest first",
        responses=responses(401, 404),
    )
    async def list_exports(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        exports: NamedDependency[ExportService],
    ) -> list[ExportJob]:
        return await exports.list(project_id, request.user.id)

    @get("/api/exports/{export_id:uuid}", summary="An export job", responses=responses(401, 404))
    async def get_export(
        self,
        request: AuthRequest,
        export_id: FromPath[uuid.UUID],
        exports: NamedDependency[ExportService],
    ) -> ExportJob:
        return await exports.get(export_id, request.user.id)

    @get(
        "/api/exports/{export_id:uuid}/download",
        summary="The finished file (409 until the job is COMPLETED)",
        responses=responses(401, 404, 409),
        response_description="The export file, as an attachment",
    )
    async def download_export(
        self,
        request: AuthRequest,
        export_id: FromPath[uuid.UUID],
        exports: NamedDependency[ExportService],
    ) -> File:
        path, filename, fmt = await exports.file(export_id, request.user.id)
        return File(
            path,
            filename=filename,
            media_type=MEDIA_TYPES[fmt],
            content_disposition_type="attachment",
        )
