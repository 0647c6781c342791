"""How a committed import starts: the exports' launcher, with the import's runner."""

from __future__ import annotations

from api.domain.exports.launcher import JobLauncher, launcher_for
from api.domain.exports.queue import IMPORT_JOB
from api.domain.imports.engine import Importer
from api.runtime import Core


async def install(core: Core) -> JobLauncher:
    importer = Importer(
        settings=core.settings, sessionmaker=core.sessionmaker, dispatcher=core.dispatcher
    )
    return launcher_for(core, IMPORT_JOB, importer)
