"""`taskroom worker`: SAQ settings, the export, import and email job functions, the cron jobs."""

from __future__ import annotations

import logging
import uuid

from redis.asyncio import Redis
from saq import CronJob, Worker
from saq.job import Job
from saq.types import Context as SaqContext
from saq.types import PartialTimersDict
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cache import CacheStore, make_store
from api.db.models import utcnow
from api.db.session import make_engine, make_sessionmaker
from api.domain import idempotency
from api.domain.exports import cleanup
from api.domain.exports.engine import Exporter
from api.domain.exports.launcher import JobRunner
from api.domain.exports.queue import SCHEDULE_EVERY, SWEEP_EVERY, make_queue, retry_delay
from api.domain.imports.engine import Importer
from api.domain.notifications.delivery import Delivery
from api.domain.notifications.launcher import QueueMail, mailer_for, scan_every, scheduled
from api.domain.notifications.mailer import Mailer
from api.settings import Settings
from worker import effects, metrics

logger = logging.getLogger(__name__)


class Context(SaqContext, total=False):
    """What every job of this worker gets, built once at start-up."""

    settings: Settings
    engine: AsyncEngine
    redis: Redis
    cache: tuple[CacheStore, Redis]
    exporter: Exporter
    importer: Importer
    notifications: Delivery
    mailer: Mailer | None
    attempt_started: float  # time.monotonic() when this job's attempt began (worker/metrics.py)


async def _attempt(ctx: Context, runner: JobRunner, job_id: str) -> None:
    """One attempt of a job row; raising hands the job back to SAQ for the next attempt."""
    job: Job = ctx["job"]
    # 2 s then 4 s at most: SAQ's own backoff multiplies by random() and could wait ~0 s.
    job.retry_delay = retry_delay(job.attempts)
    await job.update()  # store it (a sweep retries from the stored job) and touch the heartbeat

    async def heartbeat(progress: float) -> None:
        await job.update(progress=progress)

    await runner.run(
        uuid.UUID(job_id), attempt=job.attempts, last=not job.retryable, heartbeat=heartbeat
    )


async def export(ctx: Context, *, job_id: str) -> None:
    await _attempt(ctx, ctx["exporter"], job_id)


async def import_file(ctx: Context, *, job_id: str) -> None:
    await _attempt(ctx, ctx["importer"], job_id)


async def send_email(ctx: Context, *, notification_id: str) -> None:
    """One attempt at one notification's email (api/domain/notifications/mailer.py)."""
    job: Job = ctx["job"]
    job.retry_delay = retry_delay(job.attempts)
    await job.update()
    mailer = ctx["mailer"]
    if mailer is not None:
        await mailer.send_notification(uuid.UUID(notification_id), last=not job.retryable)


async def due_soon(ctx: Context) -> None:
    """The due-soon scan and, from 08:00 UTC, the daily digests not sent yet."""
    settings = ctx["settings"]
    await scheduled(ctx["notifications"], ctx["mailer"], settings.email_on, utcnow())


async def upkeep(ctx: Context) -> None:
    settings = ctx["settings"]
    removed = cleanup.delete_expired_files(settings.export_dir, settings.export_ttl_hours)
    if removed:
        logger.info("deleted %d expired export files", removed)
    await cleanup.reconcile(ctx["exporter"].sessionmaker, ctx["worker"].queue)
    await idempotency.purge(ctx["exporter"].sessionmaker)


def due_soon_cron(settings: Settings) -> str:
    """Every ten minutes (so 08:00 starts the digests), or every N s for tests."""
    every = scan_every(settings)
    return f"* * * * * */{every}" if every < 60 else f"*/{every // 60} * * * *"


def make_worker(settings: Settings, concurrency: int) -> Worker[Context]:
    assert settings.redis_url is not None
    queue = make_queue(settings.redis_url)

    async def startup(ctx: Context) -> None:
        engine = make_engine(settings.database_url)
        redis = Redis.from_url(settings.redis_url or "", socket_timeout=2, socket_connect_timeout=2)

        ctx["settings"], ctx["engine"], ctx["redis"] = settings, engine, redis
        sessionmaker = make_sessionmaker(engine)
        ctx["cache"] = make_store(settings, settings.redis_url or "")
        dispatcher = effects.room_dispatcher(redis, ctx["cache"][0])
        ctx["exporter"] = Exporter(
            settings=settings, engine=engine, sessionmaker=sessionmaker, dispatcher=dispatcher
        )
        ctx["importer"] = Importer(
            settings=settings, sessionmaker=sessionmaker, dispatcher=dispatcher
        )
        ctx["mailer"] = mailer_for(settings, sessionmaker)
        ctx["notifications"] = Delivery(
            sessionmaker, effects.user_publisher(redis), QueueMail(queue)
        )
        cleanup.delete_expired_files(settings.export_dir, settings.export_ttl_hours)
        # Sweep before taking any job. SAQ starts its first sweep together with its first
        # dequeue, and a sweep that reads a job between the dequeue and its ACTIVE status
        # takes it for a stray: it aborts the attempt (or re-runs a finished one), and if
        # the worker dies meanwhile the job is in no list (issue 18). The sweep's lock then
        # makes SAQ's own first sweep, a moment later, a no-op.
        await queue.sweep(SWEEP_EVERY)

    async def shutdown(ctx: Context) -> None:
        if "engine" in ctx:
            await ctx["redis"].aclose()
            await ctx["engine"].dispose()
        if "cache" in ctx:
            store, cache_redis = ctx["cache"]
            await store.aclose()
            await cache_redis.aclose()

    return Worker(
        queue,
        functions=[export, import_file, send_email],
        concurrency=concurrency,
        cron_jobs=[
            CronJob(upkeep, cron="* * * * *", timeout=300),
            CronJob(due_soon, cron=due_soon_cron(settings), timeout=300),
        ],
        startup=startup,
        shutdown=shutdown,
        before_process=metrics.attempt_started,
        after_process=metrics.attempt_ended,
        timers=PartialTimersDict(
            schedule=SCHEDULE_EVERY, worker_info=10, abort=1, sweep=SWEEP_EVERY
        ),
    )


async def run(
    settings: Settings, concurrency: int, metrics_at: tuple[str, int] | None = None
) -> None:
    worker = make_worker(settings, concurrency)
    await worker.queue.connect()
    try:
        await worker.queue.info()  # fail fast (and clearly) when Redis is unreachable
        if metrics_at is not None:
            metrics.serve(*metrics_at, worker.queue)
        await worker.start()
    finally:
        await worker.queue.disconnect()
