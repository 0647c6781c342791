"""How a committed export starts: on the SAQ queue, or (no Redis) as a task of this process."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import Sequence
from typing import Protocol

from saq.queue.redis import RedisQueue

from api.background import Background
from api.domain.exports.engine import Exporter, project_dir
from api.domain.exports.queue import QUEUE_NAME, enqueue_export
from api.events import DomainEvent
from api.runtime import Runtime

logger = logging.getLogger(__name__)


class ExportLauncher(Protocol):
    async def launch(self, export_id: uuid.UUID) -> None: ...

    async def aclose(self) -> None: ...


class QueueLauncher:
    """Hands the export to `taskroom worker` processes through Redis."""

    def __init__(self, queue: RedisQueue) -> None:
        self.queue = queue

    async def launch(self, export_id: uuid.UUID) -> None:
        try:
            await enqueue_export(self.queue, export_id)
        except Exception:  # the job stays PENDING; the worker's upkeep queues it again
            logger.warning("could not queue export %s", export_id, exc_info=True)

    async def aclose(self) -> None:
        """The queue borrows the runtime's Redis client, which the runtime closes itself."""


class InProcessLauncher(Background):
    """No Redis: the export runs right away as a task of the API process, one attempt only."""

    def __init__(self, exporter: Exporter) -> None:
        super().__init__()
        self.exporter = exporter

    async def _run(self, export_id: uuid.UUID) -> None:
        try:
            await self.exporter.run(export_id, attempt=1, last=True)
        except Exception:
            logger.warning("export %s failed", export_id, exc_info=True)

    async def launch(self, export_id: uuid.UUID) -> None:
        self.spawn(self._run(export_id), f"export:{export_id}")


async def install(runtime: Runtime) -> None:
    """Pick the launcher for this runtime and delete a deleted project's export files."""
    settings = runtime.settings
    launcher: ExportLauncher
    if runtime.redis is not None:
        launcher = QueueLauncher(RedisQueue(runtime.redis, name=QUEUE_NAME))
    else:
        launcher = InProcessLauncher(
            Exporter(
                settings=settings,
                engine=runtime.engine,
                sessionmaker=runtime.sessionmaker,
                dispatcher=runtime.dispatcher,
            )
        )
    runtime.exports = launcher
    runtime.closers.append(launcher.aclose)

    async def delete_files(events: Sequence[DomainEvent]) -> None:
        for event in events:
            if event.name == "project:deleted":
                folder = project_dir(settings.export_dir, event.project_id)
                await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)

    runtime.dispatcher.register(delete_files)
