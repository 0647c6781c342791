"""The export task: a consistent snapshot of a project, streamed to a whole file or none.

Shared by the SAQ worker and the API's in-process mode (no Redis), so both produce the
same states, files and events. Rows go from a server-side cursor through a format's row
writer into a temporary file beside the target; only a whole file is renamed into place.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.db.models import ExportJob, Label, Project, Task, utcnow
from api.domain.exports import reader, webhooks
from api.domain.exports.formats import EXTENSIONS, WRITERS, Row, RowWriter
from api.domain.exports.job_rows import change_job
from api.domain.exports.schemas import job_event, job_out
from api.events import Dispatcher
from api.settings import Settings

logger = logging.getLogger(__name__)

Heartbeat = Callable[[float], Awaitable[None]]

PROGRESS_EVERY = 0.5  # seconds: progress at least every second, at most 4 events a second
HEARTBEAT_EVERY = 5.0  # seconds, while a webhook is being delivered
FETCH_ROWS = 2000  # rows per round trip of the server-side cursor
TMP_SUFFIX = ".tmp"
_PROJECT_COLUMNS = [Project.id, Project.name, Project.description, Project.owner_id]


class FailpointError(RuntimeError):
    """Raised on purpose by `export.fail_attempts`."""


def project_dir(export_dir: Path, project_id: uuid.UUID | str) -> Path:
    return export_dir / str(project_id)


def target_path(export_dir: Path, job: ExportJob) -> Path:
    return project_dir(export_dir, job.project_id) / f"{job.id}.{EXTENSIONS[job.format]}"


def remove_temp_files(export_dir: Path, job: ExportJob) -> None:
    """A crashed attempt's leftovers (`.{id}.*.tmp`), before the next attempt writes its own."""
    for leftover in project_dir(export_dir, job.project_id).glob(f".{job.id}.*{TMP_SUFFIX}"):
        leftover.unlink(missing_ok=True)


class HashingFile:
    """Writes bytes to a file while counting them and hashing them (sha256)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.sha256.update(data)
        self.size += len(data)


class Exporter:
    """Runs attempts of export jobs against one database and export dir."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.dispatcher = dispatcher
        # Failpoints are read once, at start (contract §2).
        self.row_delay = settings.failpoints.get("export.row_delay_ms") / 1000
        self.fail_attempts = settings.failpoints.get("export.fail_attempts")

    async def _change(self, job_id: uuid.UUID, **values: Any) -> ExportJob | None:
        return await change_job(
            self.sessionmaker, self.dispatcher, ExportJob, job_id, job_event, **values
        )

    async def run(
        self, job_id: uuid.UUID, *, attempt: int, last: bool, heartbeat: Heartbeat | None = None
    ) -> None:
        """One attempt. Raises on failure (after recording it) so the queue can retry."""
        async with self.sessionmaker() as session:
            found = await session.get(ExportJob, job_id)
        if found is None or found.status == "COMPLETED":
            return  # the project was deleted, or an earlier attempt finished it
        remove_temp_files(self.settings.export_dir, found)
        job = await self._change(
            job_id,
            status="PROCESSING",
            attempts=attempt,
            progress=0.0,
            error=None,
            started_at=utcnow(),
            finished_at=None,
        )
        if job is None:
            return
        target = target_path(self.settings.export_dir, job)
        temp = target.with_name(f".{job.id}.{attempt}{TMP_SUFFIX}")
        try:
            size, digest = await self._write(job, attempt, temp, heartbeat)
            temp.replace(target)
        except BaseException as exc:
            temp.unlink(missing_ok=True)
            if not isinstance(exc, Exception):
                raise  # cancelled (abort, shutdown): the queue decides what happens next
            error = f"attempt {attempt} failed: {type(exc).__name__}: {exc}"
            failed = await self._change(
                job_id,
                status="FAILED" if last else "PENDING",
                error=error,
                finished_at=utcnow() if last else None,
            )
            if failed is not None and last:
                await self._webhook(failed, "export.failed", heartbeat)
            raise
        done = await self._change(
            job_id,
            status="COMPLETED",
            progress=1.0,
            size_bytes=size,
            sha256=digest,
            file_path=str(target),
            finished_at=utcnow(),
        )
        if done is None:
            target.unlink(missing_ok=True)  # the project was deleted meanwhile
            return
        await self._webhook(done, "export.completed", heartbeat)

    async def _write(
        self, job: ExportJob, attempt: int, temp: Path, heartbeat: Heartbeat | None
    ) -> tuple[int, str]:
        writer: RowWriter = WRITERS[job.format]()
        temp.parent.mkdir(parents=True, exist_ok=True)
        async with self.engine.connect() as conn:
            await self._snapshot(conn)
            project: dict[str, Any] = dict(
                (await conn.execute(select(*_PROJECT_COLUMNS).where(Project.id == job.project_id)))
                .mappings()
                .one()
            )
            if writer.extras:  # the JSON export names the labels its tasks carry
                labels = await conn.execute(
                    select(Label.name, Label.color)
                    .where(Label.project_id == job.project_id)
                    .order_by(Label.name_key)
                )
                project["labels"] = [dict(row._mapping) for row in labels]
            total = await conn.scalar(
                select(func.count()).select_from(Task).where(Task.project_id == job.project_id)
            )
            with temp.open("wb", buffering=1 << 20) as fh:
                out = HashingFile(fh)
                out.write(writer.start(project))
                rows = reader.batches(conn, job.project_id, FETCH_ROWS, extras=writer.extras)
                async with contextlib.aclosing(rows):
                    await self._rows(job.id, rows, writer, out, total or 0, attempt, heartbeat)
                out.write(writer.end())
                fh.flush()
        return out.size, out.sha256.hexdigest()

    async def _rows(
        self,
        job_id: uuid.UUID,
        rows: AsyncIterator[Sequence[Row]],
        writer: RowWriter,
        out: HashingFile,
        total: int,
        attempt: int,
        heartbeat: Heartbeat | None,
    ) -> None:
        """Write every batch, with progress; failpoints act row by row."""
        failing = attempt <= self.fail_attempts
        slow = failing or self.row_delay > 0
        done = 0
        next_tick = time.monotonic() + PROGRESS_EVERY
        async for partition in rows:
            for batch in [[row] for row in partition] if slow else [partition]:
                if failing and done * 2 >= total:
                    out.fh.flush()
                    raise FailpointError("export.fail_attempts failpoint")
                out.write(writer.rows(batch))
                done += len(batch)
                if self.row_delay:
                    await asyncio.sleep(self.row_delay)
                if time.monotonic() >= next_tick:
                    await self._progress(job_id, done / max(total, 1), heartbeat)
                    next_tick = time.monotonic() + PROGRESS_EVERY
        if failing:
            raise FailpointError("export.fail_attempts failpoint")

    @staticmethod
    async def _snapshot(conn: AsyncConnection) -> None:
        """Open one read transaction, so every row comes from the same moment."""
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
            await conn.begin()
        else:
            # pysqlite only opens transactions for writes; an explicit BEGIN pins the snapshot.
            await conn.exec_driver_sql("BEGIN")

    async def _progress(
        self, job_id: uuid.UUID, progress: float, heartbeat: Heartbeat | None
    ) -> None:
        await self._change(job_id, progress=round(min(progress, 0.99), 4))
        if heartbeat is not None:
            await heartbeat(progress)

    async def _webhook(self, job: ExportJob, event: str, heartbeat: Heartbeat | None) -> None:
        """Deliver the signed event; its retries can outlast the heartbeat, so keep beating."""
        if not job.webhook_url:
            return
        body = msgspec.json.encode({"event": event, "job": job_out(job)})
        delivery = asyncio.ensure_future(
            webhooks.deliver(
                job.webhook_url,
                body,
                secret=self.settings.secret_key,
                allow_private=self.settings.webhook_allow_private,
            )
        )
        try:
            while not delivery.done():
                await asyncio.wait({delivery}, timeout=HEARTBEAT_EVERY)
                if heartbeat is not None and not delivery.done():
                    await heartbeat(job.progress)
        finally:
            delivery.cancel()
        if delivery.exception() is not None:
            logger.warning("webhook for export %s failed", job.id, exc_info=delivery.exception())
