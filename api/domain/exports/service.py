"""Export jobs: create (idempotent per caller and key), read, list, and the finished file."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db.models import ExportJob
from api.db.session import UnitOfWork
from api.domain.errors import Conflict, Invalid, NotFound
from api.domain.exports.formats import EXTENSIONS
from api.domain.exports.launcher import JobLauncher
from api.domain.exports.schemas import job_event, job_out
from api.domain.exports.webhooks import WebhookRefused, check_url
from api.domain.projects.authz import require_role
from api.ratelimit import Limiter, enforce
from api.security import AuthUser
from api.wire import ExportCreate
from api.wire import ExportJob as ExportJobOut

EXPORT_NOT_FOUND = "Export not found"


class ExportService:
    def __init__(
        self,
        uow: UnitOfWork,
        launcher: JobLauncher,
        limiter: Limiter,
        *,
        webhook_allow_private: bool,
    ) -> None:
        self.uow = uow
        self.session = uow.session
        self.launcher = launcher
        self.limiter = limiter
        self.webhook_allow_private = webhook_allow_private

    async def _by_key(
        self, project_id: uuid.UUID, user_id: uuid.UUID, key: str
    ) -> ExportJob | None:
        found: ExportJob | None = await self.session.scalar(
            select(ExportJob).where(
                ExportJob.requested_by == user_id,
                ExportJob.project_id == project_id,
                ExportJob.idempotency_key == key,
            )
        )
        return found

    async def create(
        self, project_id: uuid.UUID, data: ExportCreate, actor: AuthUser, key: str | None
    ) -> ExportJobOut:
        await require_role(self.session, project_id, actor.id)
        if data.webhook_url is not None:
            try:
                check_url(data.webhook_url, self.webhook_allow_private)
            except WebhookRefused as exc:
                raise Invalid(detail=str(exc)) from None
        if key is not None and (existing := await self._by_key(project_id, actor.id, key)):
            return job_out(existing)
        # Each export reads the whole project: one caller may not queue them without bound.
        limit_keys = [f"{actor.id}:{project_id}"]
        await enforce(self.limiter, limit_keys, "Too many exports of this project; try again later")
        job = ExportJob(
            project_id=project_id,
            requested_by=actor.id,
            format=data.format,
            webhook_url=data.webhook_url,
            idempotency_key=key,
        )
        self.session.add(job)
        try:
            await self.session.flush()
        except IntegrityError:  # the same key raced us: theirs is the job
            await self.uow.rollback()
            if key is not None and (existing := await self._by_key(project_id, actor.id, key)):
                return job_out(existing)
            raise
        self.uow.record(job_event(job))
        await self.uow.commit()
        await self.limiter.record(limit_keys)
        await self.launcher.launch(job.id)
        return job_out(job)

    async def _job_for(self, export_id: uuid.UUID, user_id: uuid.UUID) -> ExportJob:
        job = await self.session.get(ExportJob, export_id)
        if job is None:
            raise NotFound(detail=EXPORT_NOT_FOUND)
        try:
            await require_role(self.session, job.project_id, user_id)
        except NotFound:
            raise NotFound(detail=EXPORT_NOT_FOUND) from None
        return job

    async def get(self, export_id: uuid.UUID, user_id: uuid.UUID) -> ExportJobOut:
        return job_out(await self._job_for(export_id, user_id))

    async def list(self, project_id: uuid.UUID, user_id: uuid.UUID) -> list[ExportJobOut]:
        await require_role(self.session, project_id, user_id)
        jobs = await self.session.scalars(
            select(ExportJob)
            .where(ExportJob.project_id == project_id)
            .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
        )
        return [job_out(j) for j in jobs]

    async def file(self, export_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Path, str, str]:
        """(path, download name, format) of a finished export; 409 until it is COMPLETED."""
        job = await self._job_for(export_id, user_id)
        if job.status != "COMPLETED" or not job.file_path:
            raise Conflict(detail=f"The export is {job.status}, not COMPLETED yet")
        path = Path(job.file_path)
        if not await asyncio.to_thread(path.is_file):
            raise NotFound(detail="The export file has expired; export again")
        return path, f"taskroom-export-{job.id}.{EXTENSIONS[job.format]}", job.format
