"""`taskroom worker --metrics-port N`: job durations, failures and queue depth (contract §11).

The metrics are api/metrics.py's, served by prometheus_client's own HTTP server (a thread).
The queue depth is read when scraped: the scrape's thread asks the worker's event loop for
the queue's length, so it is exact and costs nothing between scrapes.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from prometheus_client import start_http_server
from saq import Queue
from saq.job import Status

from api import metrics

if TYPE_CHECKING:
    from worker.main import Context

SCRAPE_TIMEOUT = 1.0  # seconds a scrape waits for the queue's length


def serve(host: str, port: int, queue: Queue) -> None:
    """Start the metrics server; called on the worker's event loop."""
    metrics.enable()
    loop = asyncio.get_running_loop()

    def depth() -> float:
        try:
            waiting = asyncio.run_coroutine_threadsafe(queue.count("queued"), loop)
            return float(waiting.result(SCRAPE_TIMEOUT))
        except Exception:  # Redis away: say "unknown" rather than fail the scrape
            return float("nan")

    metrics.QUEUE_DEPTH.set_function(depth)
    start_http_server(port, addr=host)


async def attempt_started(ctx: Context) -> None:
    """SAQ's before_process: SAQ's own `job.started` is reset when an attempt is retried."""
    ctx["attempt_started"] = time.monotonic()


async def attempt_ended(ctx: Context) -> None:
    """SAQ's after_process: one duration per attempt, by outcome; a failure counted too."""
    job = ctx["job"]
    failed = ctx.get("exception") is not None
    outcome = "failed" if failed else "complete" if job.status == Status.COMPLETE else "aborted"
    elapsed = time.monotonic() - ctx["attempt_started"]
    metrics.JOB_DURATION.labels(job.function, outcome).observe(elapsed)
    if failed:
        metrics.JOB_FAILURES.labels(job.function).inc()
