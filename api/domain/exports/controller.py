"""Routes: /api/projects/{id}/exports and /api/exports/{id} (contract §3, exports)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter
from litestar.response import File

from api.db.session import UnitOfWork
from api.domain.deps import AuthRequest, IdempotencyKey
from api.domain.exports.formats import MEDIA_TYPES
from api.domain.exports.links import link_token, link_user
from api.domain.exports.service import ExportService
from api.openapi import PublicOperation, responses
from api.runtime import Runtime
from api.wire import ExportCreate, ExportJob, ExportLink


async def provide_export_service(
    uow: NamedDependency[UnitOfWork], runtime: NamedDependency[Runtime]
) -> ExportService:
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
        return _attachment(*await exports.file(export_id, request.user.id))

    @get(
        "/api/exports/{export_id:uuid}/link",
        summary="A link that serves the finished file without a login for 10 minutes",
        description="For a browser or `curl` on another machine than the caller's (the TUI over "
        "SSH). The link names this export only; the caller's access is checked again when it "
        "is used. 409 until the job is COMPLETED.",
        responses=responses(401, 404, 409),
    )
    async def export_link(
        self,
        request: AuthRequest,
        export_id: FromPath[uuid.UUID],
        exports: NamedDependency[ExportService],
        runtime: NamedDependency[Runtime],
    ) -> ExportLink:
        await exports.file(export_id, request.user.id)  # finished, and the caller's to read
        token, expires_at = link_token(runtime.settings.secret_key, export_id, request.user.id)
        return ExportLink(url=f"/api/exports/{export_id}/file?token={token}", expires_at=expires_at)

    @get(
        "/api/exports/{export_id:uuid}/file",
        summary="The finished file, by a link from GET /api/exports/{id}/link (no login)",
        exclude_from_auth=True,
        operation_class=PublicOperation,
        responses=responses(401, 404, 409),
        response_description="The export file, as an attachment",
    )
    async def export_file(
        self,
        export_id: FromPath[uuid.UUID],
        token: Annotated[
            str,
            # A JWT: URL-safe base64 parts and dots, so the link stays short and plain.
            Parameter(
                max_length=2048, pattern=r"^[A-Za-z0-9_.-]+$", description="The link's token"
            ),
        ],
        exports: NamedDependency[ExportService],
        runtime: NamedDependency[Runtime],
    ) -> File:
        user_id = link_user(runtime.settings.secret_key, token, export_id)
        return _attachment(*await exports.file(export_id, user_id))


def _attachment(path: Path, filename: str, fmt: str) -> File:
    return File(
        path, filename=filename, media_type=MEDIA_TYPES[fmt], content_disposition_type="attachment"
    )
