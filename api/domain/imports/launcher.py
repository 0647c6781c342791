"""How a committed import starts: the exports' launcher, with the import's runner."""

from __future__ import annotations

from api.domain.exports.launcher import launcher_for
from api.domain.exports.queue import IMPORT_JOB
from api.domain.imports.engine import Importer
from api.runtime import Runtime


async def install(runtime: Runtime) -> None:
    importer = Importer(
        settings=runtime.settings, sessionmaker=runtime.sessionmaker, dispatcher=runtime.dispatcher
    )
    runtime.imports = launcher_for(runtime, IMPORT_JOB, importer)
