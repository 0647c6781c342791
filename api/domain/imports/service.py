"""Import jobs: take the upload (idempotent per caller and key), dry-run it, or queue it; read."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db.models import ImportJob, Membership
from api.db.session import UnitOfWork
from api.domain.errors import NotFound, TooLarge
from api.domain.exports.engine import TMP_SUFFIX, project_dir
from api.domain.exports.launcher import JobLauncher
from api.domain.imports.engine import check_file
from api.domain.imports.schemas import job_event, job_out
from api.domain.projects.authz import require_role
from api.security import AuthUser
from api.wire import ImportFormat, ImportReport
from api.wire import ImportJob as ImportJobOut

IMPORT_NOT_FOUND = "Import not found"
MAX_FILE_BYTES = 20 * 1024 * 1024  # contract §10
UPLOAD_SUFFIX = ".import"


class ImportService:
    def __init__(self, uow: UnitOfWork, launcher: JobLauncher, export_dir: Path) -> None:
        self.uow = uow
        self.session = uow.session
        self.launcher = launcher
        self.export_dir = export_dir

    async def _by_key(self, user_id: uuid.UUID, key: str) -> ImportJob | None:
        found: ImportJob | None = await self.session.scalar(
            select(ImportJob).where(ImportJob.user_id == user_id, ImportJob.idempotency_key == key)
        )
        return found

    async def _receive(self, project_id: uuid.UUID, body: AsyncIterator[bytes]) -> Path:
        """The body into a temporary file beside the export files, 413 past the limit."""
        folder = project_dir(self.export_dir, project_id)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        temp = folder / f".upload-{uuid.uuid4()}{TMP_SUFFIX}"
        size = 0
        try:
            with temp.open("wb") as fh:
                async for chunk in body:
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        raise TooLarge(f"An import file may hold at most {MAX_FILE_BYTES} bytes")
                    await asyncio.to_thread(fh.write, chunk)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp

    async def dry_run(
        self, project_id: uuid.UUID, fmt: ImportFormat, body: AsyncIterator[bytes], actor: AuthUser
    ) -> ImportReport:
        """What the import would create, skip and refuse; nothing is written."""
        await require_role(self.session, project_id, actor.id, "editor")
        temp = await self._receive(project_id, body)
        try:
            return (await check_file(fmt, temp)).report()
        finally:
            await asyncio.to_thread(temp.unlink, missing_ok=True)

    async def create(
        self,
        project_id: uuid.UUID,
        fmt: ImportFormat,
        body: AsyncIterator[bytes],
        actor: AuthUser,
        key: str | None,
    ) -> ImportJobOut:
        await require_role(self.session, project_id, actor.id, "editor")
        if key is not None and (existing := await self._by_key(actor.id, key)):
            return job_out(existing)  # the body is not read: the same key is the same job
        temp = await self._receive(project_id, body)
        job = ImportJob(
            id=uuid.uuid4(),
            project_id=project_id,
            user_id=actor.id,
            format=fmt,
            errors=[],
            warnings=[],
            idempotency_key=key,
        )
        path = temp.with_name(f"{job.id}{UPLOAD_SUFFIX}")
        job.file_path = str(path)
        await asyncio.to_thread(temp.replace, path)
        self.session.add(job)
        try:
            await self.session.flush()
        except IntegrityError:  # the same key raced us: theirs is the job
            await self.uow.rollback()
            await asyncio.to_thread(path.unlink, missing_ok=True)
            if key is not None and (existing := await self._by_key(actor.id, key)):
                return job_out(existing)
            raise
        self.uow.record(job_event(job))
        await self.uow.commit()
        await self.launcher.launch(job.id)
        return job_out(job)

    async def get(self, import_id: uuid.UUID, user_id: uuid.UUID) -> ImportJobOut:
        """The job, for members of its project only (others: 404, as for a missing one)."""
        job = await self.session.get(ImportJob, import_id)
        member = job and await self.session.scalar(
            select(Membership.role).where(
                Membership.project_id == job.project_id, Membership.user_id == user_id
            )
        )
        if job is None or member is None:
            raise NotFound(IMPORT_NOT_FOUND)
        return job_out(job)
