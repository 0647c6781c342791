"""Routes: POST /api/projects/{id}/imports and GET /api/imports/{id} (contract §10)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from api.db.session import UnitOfWork
from api.domain.deps import AuthRequest, IdempotencyKey
from api.domain.imports.service import MAX_FILE_BYTES, ImportService
from api.openapi import responses
from api.runtime import Runtime
from api.wire import ImportFormat, ImportJob, ImportReport


async def provide_import_service(
    uow: NamedDependency[UnitOfWork], runtime: NamedDependency[Runtime]
) -> ImportService:
    return ImportService(uow, runtime.imports, runtime.settings.export_dir)


class ImportController(Controller):
    tags = ["imports"]
    dependencies = {"imports": Provide(provide_import_service)}

    @post(
        "/api/projects/{project_id:uuid}/imports",
        summary="Import a file of tasks into the project (editor+); the file is the raw body",
        description=(
            "Formats: `taskroom-json` (a JSON export), `csv` (a CSV export, or any CSV with a "
            "`title` column), `trello` (Trello's board JSON). All or nothing. `dry_run=true` "
            "answers 200 with the report and writes nothing; otherwise 202 with the job."
        ),
        status_code=202,
        request_max_body_size=MAX_FILE_BYTES,
        responses={
            200: ResponseSpec(data_container=ImportReport, description="The dry run's report"),
            202: ResponseSpec(data_container=ImportJob, description="The import job"),
            **responses(400, 401, 403, 404, 413),
        },
    )
    async def create_import(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        imports: NamedDependency[ImportService],
        fmt: Annotated[ImportFormat, QueryParameter(name="format")],
        dry_run: FromQuery[bool] = False,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ImportJob | ImportReport]:
        body = request.stream()
        if dry_run:
            report = await imports.dry_run(project_id, fmt, body, request.user)
            return Response(report, status_code=200)
        job = await imports.create(project_id, fmt, body, request.user, idempotency_key)
        return Response(job, status_code=202)

    @get("/api/imports/{import_id:uuid}", summary="An import job", responses=responses(401, 404))
    async def get_import(
        self,
        request: AuthRequest,
        import_id: FromPath[uuid.UUID],
        imports: NamedDependency[ImportService],
    ) -> ImportJob:
        return await imports.get(import_id, request.user.id)
