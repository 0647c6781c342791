"""The export queue of contract §6: its name, and how an export becomes a SAQ job."""

from __future__ import annotations

import uuid

from saq import Queue

QUEUE_NAME = "taskroom:exports"
ATTEMPTS = 3  # SAQ's `retries` counts every attempt, the first included
RETRY_DELAY = 2.0  # seconds before the 2nd attempt; doubled before each next one
# A killed worker stops refreshing the heartbeat; the sweep (every SWEEP_EVERY s) then
# hands the job to another worker: at most HEARTBEAT + SWEEP_EVERY + 5 s abort wait + 4 s.
HEARTBEAT = 15
SWEEP_EVERY = 5
TIMEOUT = 3600  # a backstop only: a live export refreshes its heartbeat every half second


def make_queue(redis_url: str) -> Queue:
    return Queue.from_url(redis_url, name=QUEUE_NAME)


async def enqueue_export(queue: Queue, export_id: uuid.UUID) -> bool:
    """Queue one export under its own id as the job key; False if it is already queued."""
    job = await queue.enqueue(
        "export",
        key=str(export_id),
        export_id=str(export_id),
        retries=ATTEMPTS,
        retry_delay=RETRY_DELAY,
        timeout=TIMEOUT,
        heartbeat=HEARTBEAT,
    )
    return job is not None
