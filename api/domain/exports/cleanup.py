"""Periodic upkeep (a SAQ cron job): expired files, crash leftovers, lost jobs."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from saq import Queue
from saq.job import Status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ExportJob, utcnow
from api.domain.exports.engine import TMP_SUFFIX
from api.domain.exports.queue import enqueue_export

logger = logging.getLogger(__name__)

STALE_TEMP_SECONDS = 600  # a live attempt writes its temp file at least every second
RECONCILE_AFTER = dt.timedelta(minutes=2)
_GONE = (Status.ABORTED, Status.FAILED, Status.COMPLETE)


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


async def reconcile(sessionmaker: async_sessionmaker[AsyncSession], queue: Queue) -> None:
    """Bring unfinished jobs in line with the queue.

    A job whose enqueue was lost (Redis down at the time) is queued again; one whose last
    attempt died with its worker (swept, not retryable) is marked FAILED.
    """
    async with sessionmaker() as session:
        jobs = (
            await session.scalars(
                select(ExportJob).where(
                    ExportJob.status.in_(("PENDING", "PROCESSING")),
                    ExportJob.created_at < utcnow() - RECONCILE_AFTER,
                )
            )
        ).all()
        for job in jobs:
            queued = await queue.job(str(job.id))
            if queued is None and job.status == "PENDING" and job.attempts == 0:
                await enqueue_export(queue, job.id)
            elif queued is None or queued.status in _GONE:
                job.status = "FAILED"
                job.error = job.error or "the export's worker was lost on its last attempt"
                job.finished_at = utcnow()
        await session.commit()
