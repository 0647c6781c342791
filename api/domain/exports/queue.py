"""The job queue of contract §6: its name, and how an export or an import becomes a SAQ job."""

from __future__ import annotations

import logging
import uuid

from redis.asyncio import Redis
from saq import Queue
from saq.job import Job, Status
from saq.queue.redis import RedisQueue
from saq.utils import now, seconds

logger = logging.getLogger(__name__)

QUEUE_NAME = "taskroom:exports"
ATTEMPTS = 3  # SAQ's `retries` counts every attempt, the first included
RETRY_DELAY = 2.0  # seconds before the 2nd attempt; doubled before each next one
SCHEDULE_EVERY = 1  # seconds between SAQ's polls that queue the retries that are due
# A killed worker stops refreshing the heartbeat; the sweep (every SWEEP_EVERY s) then
# hands the job to another worker: at most HEARTBEAT + SWEEP_EVERY + 5 s abort wait + 4 s.
HEARTBEAT = 15
SWEEP_EVERY = 5
TIMEOUT = 3600  # a backstop only: a live export refreshes its heartbeat every half second
# Past its heartbeat (or timeout) a job is swept within SWEEP_EVERY s plus SAQ's 5 s wait
# for the abort; one still stuck this much later has no sweep coming.
LOST_GRACE = 15
LOST_LOCK = f"{QUEUE_NAME}:retake-lock"
LOST_ERROR = "lost with its worker"


def is_lost(job: Job, at_ms: int) -> bool:
    """Stuck (SAQ's `Job.stuck`) for longer than any sweep takes to act on it."""
    if job.status not in (Status.ACTIVE, Status.ABORTING):
        return False

    def overdue(limit: int, since: int) -> bool:
        return bool(limit) and seconds(at_ms - since) > limit + LOST_GRACE

    return overdue(job.timeout, job.started) or overdue(job.heartbeat, job.touched)


class ExportQueue(RedisQueue):
    """SAQ's Redis queue, whose sweep also takes up jobs that fell out of every list.

    SAQ's sweep takes a stuck job off the active list, waits for its abort, and only then
    queues it again: a sweeper that dies in between leaves the job in no list, where no
    later sweep looks, with its status still active (issue 18: a worker whose start-up
    sweep caught its own first job, SIGKILLed a second later).
    """

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        swept = await super().sweep(lock, abort)
        if await self.redis.set(LOST_LOCK, 1, nx=True, ex=lock):
            swept += await self.retake_lost()
        return swept

    async def retake_lost(self) -> list[str]:
        """Queue lost jobs again (an attempt was spent), or finish those with none left."""
        at = now()
        running = self.iter_jobs([Status.ACTIVE, Status.ABORTING])
        lost = [job async for job in running if is_lost(job, at)]
        for job in lost:
            logger.warning("taking up %s again: %s", job.key, LOST_ERROR)
            if job.retryable:
                await self.retry(job, LOST_ERROR)
            else:
                await self.finish(job, Status.ABORTED, error=LOST_ERROR)
        return [job.id for job in lost]


def retry_delay(attempts: int) -> float:
    """The delay to give SAQ after `attempts` attempts: the wait, less one scheduler poll.

    A delayed retry is queued by the first poll after it is due, up to SCHEDULE_EVERY s
    late; asked for that much less, the wait falls in (wait - SCHEDULE_EVERY, wait] and is
    never longer than contract §6 says (2 s, then 4 s).
    """
    return RETRY_DELAY * 2.0 ** (attempts - 1) - SCHEDULE_EVERY


def make_queue(redis_url: str) -> ExportQueue:
    return ExportQueue(Redis.from_url(redis_url), name=QUEUE_NAME)


EXPORT_JOB = "export"
IMPORT_JOB = "import_file"


async def enqueue_job(queue: Queue, function: str, job_id: uuid.UUID) -> bool:
    """Queue one job row (export or import) under its own id as the job key, with contract
    §6's attempts and waits; False if it is already queued."""
    job = await queue.enqueue(
        function,
        key=str(job_id),
        job_id=str(job_id),
        retries=ATTEMPTS,
        retry_delay=retry_delay(1),
        timeout=TIMEOUT,
        heartbeat=HEARTBEAT,
    )
    return job is not None


async def enqueue_export(queue: Queue, export_id: uuid.UUID) -> bool:
    return await enqueue_job(queue, EXPORT_JOB, export_id)
