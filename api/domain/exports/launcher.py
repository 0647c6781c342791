"""How a committed job row starts: on the SAQ queue, or (no Redis) as a task of this process.

Exports and imports alike: each kind names its SAQ function and brings a runner with the
same `run` (one attempt, raising on failure so the queue can retry).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import Sequence
from typing import Protocol

from saq.queue.redis import RedisQueue

from api.background import Background
from api.domain.exports.engine import Exporter, Heartbeat, project_dir
from api.domain.exports.queue import EXPORT_JOB, QUEUE_NAME, enqueue_job
from api.events import DomainEvent
from api.runtime import Core

logger = logging.getLogger(__name__)


class JobRunner(Protocol):
    async def run(
        self, job_id: uuid.UUID, *, attempt: int, last: bool, heartbeat: Heartbeat | None = None
    ) -> None: ...


class JobLauncher(Protocol):
    async def launch(self, job_id: uuid.UUID) -> None: ...

    async def aclose(self) -> None: ...


class QueueLauncher:
    """Hands the job to `taskroom worker` processes through Redis."""

    def __init__(self, queue: RedisQueue, function: str = EXPORT_JOB) -> None:
        self.queue = queue
        self.function = function

    async def launch(self, job_id: uuid.UUID) -> None:
        try:
            await enqueue_job(self.queue, self.function, job_id)
        except Exception:  # the job stays PENDING; the worker's upkeep queues it again
            logger.warning("could not queue %s %s", self.function, job_id, exc_info=True)

    async def aclose(self) -> None:
        """The queue borrows the runtime's Redis client, which the runtime closes itself."""


class InProcessLauncher(Background):
    """No Redis: the job runs right away as a task of the API process, one attempt only."""

    def __init__(self, runner: JobRunner, function: str = EXPORT_JOB) -> None:
        super().__init__()
        self.runner = runner
        self.function = function

    async def _run(self, job_id: uuid.UUID) -> None:
        try:
            await self.runner.run(job_id, attempt=1, last=True)
        except Exception:
            logger.warning("%s %s failed", self.function, job_id, exc_info=True)

    async def launch(self, job_id: uuid.UUID) -> None:
        self.spawn(self._run(job_id), f"{self.function}:{job_id}")


def launcher_for(core: Core, function: str, runner: JobRunner) -> JobLauncher:
    """The queue with Redis, else this process; closed with the core."""
    launcher: JobLauncher
    if core.redis is not None:
        launcher = QueueLauncher(RedisQueue(core.redis, name=QUEUE_NAME), function)
    else:
        launcher = InProcessLauncher(runner, function)
    core.closers.append(launcher.aclose)
    return launcher


async def install(core: Core) -> JobLauncher:
    """Pick the launcher for this runtime and delete a deleted project's export files."""
    settings = core.settings
    exporter = Exporter(
        settings=settings,
        engine=core.engine,
        sessionmaker=core.sessionmaker,
        dispatcher=core.dispatcher,
    )
    launcher = launcher_for(core, EXPORT_JOB, exporter)

    async def delete_files(events: Sequence[DomainEvent]) -> None:
        for event in events:
            if event.name == "project:deleted":
                folder = project_dir(settings.export_dir, event.project_id)
                await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)

    core.dispatcher.register(delete_files)
    return launcher
