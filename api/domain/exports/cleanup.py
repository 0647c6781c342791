"""Periodic upkeep (a SAQ cron job): expired files, crash leftovers, lost jobs."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import TypeVar

from saq import Queue
from saq.job import Status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ExportJob, ImportJob, utcnow
from api.domain.exports.engine import TMP_SUFFIX
from api.domain.exports.queue import EXPORT_JOB, IMPORT_JOB, enqueue_job

logger = logging.getLogger(__name__)

STALE_TEMP_SECONDS = 600  # a live attempt writes its temp file at least every second
RECONCILE_AFTER = dt.timedelta(minutes=2)
_GONE = (Status.ABORTED, Status.FAILED, Status.COMPLETE)
J = TypeVar("J", ExportJob, ImportJob)


def delete_expired_files(export_dir: Path, ttl_hours: float, now: float | None = None) -> int:
    """Delete finished files older than the TTL and stale temporary files; returns the count."""
    now = time.time() if now is None else now
    removed = 0
    for path in export_dir.glob("*/*"):
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        limit = STALE_TEMP_SECONDS if path.name.endswith(TMP_SUFFIX) else ttl_hours * 3600
        if path.is_file() and age > limit:
            path.unlink(missing_ok=True)
            removed += 1
    for folder in export_dir.glob("*"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed


LOST = "the job's worker was lost on its last attempt"


def _mark_lost(job: ExportJob | ImportJob) -> None:
    job.status = "FAILED"
    job.finished_at = utcnow()
    if isinstance(job, ImportJob):
        job.errors = [{"row": 0, "field": None, "message": LOST}]
    else:
        job.error = job.error or LOST


async def reconcile(sessionmaker: async_sessionmaker[AsyncSession], queue: Queue) -> None:
    """Bring unfinished jobs (exports and imports) in line with the queue.

    A job whose enqueue was lost (Redis down at the time) is queued again; one whose last
    attempt died with its worker (swept, not retryable) is marked FAILED.
    """
    async with sessionmaker() as session:
        jobs: list[ExportJob | ImportJob] = [
            *await _unfinished(session, ExportJob),
            *await _unfinished(session, ImportJob),
        ]
        for job in jobs:
            queued = await queue.job(str(job.id))
            if queued is None and job.status == "PENDING" and job.attempts == 0:
                function = IMPORT_JOB if isinstance(job, ImportJob) else EXPORT_JOB
                await enqueue_job(queue, function, job.id)
            elif queued is None or queued.status in _GONE:
                _mark_lost(job)
        await session.commit()


async def _unfinished(session: AsyncSession, model: type[J]) -> list[J]:
    """Jobs of a kind still PENDING or PROCESSING a while after they were asked for."""
    rows = await session.scalars(
        select(model).where(
            model.status.in_(("PENDING", "PROCESSING")),
            model.created_at < utcnow() - RECONCILE_AFTER,
        )
    )
    return list(rows.all())
