"""An SSH gateway process for tests, and an asyncssh client session that reads a terminal."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import psutil
import pytest

from tests.support import (
    ROOT,
    TASKROOM,
    Server,
    free_port,
    server_env,
    stop_process,
    wait_until,
)

WAIT = 30.0  # generous: two cores shared with other test runs
TEMPLATE_READY = "warm-start template ready: pid="
PROBE_APP = [sys.executable, str(ROOT / "tests" / "ssh_probe_app.py")]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The gateway does not touch the database itself: one SQLite-backed API is enough."""
    srv = Server(server_env(tmp_path_factory.mktemp("ssh-api"), None)).start(timeout=90)
    yield srv
    srv.stop()


def gateway_for(api: Server, data_dir: Path, **kw: Any) -> SshGateway:
    """A started gateway in front of `api`, its host key in `data_dir`."""
    env = {**api.env, "TASKROOM_DATA_DIR": str(data_dir)}
    return SshGateway(env, api.url, **kw).start()


@dataclass
class SshGateway:
    """`taskroom ssh-serve` (app=None) or the same server running another app command."""

    env: dict[str, str]
    server_url: str
    app: list[str] | None = None
    max_sessions: int = 50
    idle_timeout: float = 0
    token_ttl: float = 3600  # only for another app than the TUI (`--session-hours` otherwise)
    cold_start: bool = False  # only for the TUI: `--cold-start`
    max_unauthenticated: int = 100  # these two only for another app than the TUI
    max_unauthenticated_per_address: int = 10
    session_max_mb: float = 256
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self, timeout: float = 90.0) -> SshGateway:
        fd, log = tempfile.mkstemp(prefix="taskroom-ssh-serve-", suffix=".log")
        self.log_path = Path(log)
        if self.app is None:
            argv = [
                *TASKROOM,
                "ssh-serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--server",
                self.server_url,
                "--max-sessions",
                str(self.max_sessions),
                "--idle-timeout",
                str(self.idle_timeout),
                "--session-max-mb",
                str(self.session_max_mb),
                *(["--cold-start"] if self.cold_start else []),
            ]
        else:
            limits = [
                str(self.max_sessions),
                str(self.idle_timeout),
                str(self.token_ttl),
                str(self.max_unauthenticated),
                str(self.max_unauthenticated_per_address),
                str(self.session_max_mb),
            ]
            argv = [
                sys.executable,
                "-m",
                "tests.ssh_gateway",
                str(self.port),
                self.server_url,
                *limits,
                "--",
                *self.app,
            ]
        self.proc = subprocess.Popen(
            argv, env={**os.environ, **self.env}, stdout=fd, stderr=fd, cwd=ROOT
        )
        os.close(fd)

        def listening() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"ssh gateway exited early:\n{self.log()}")
            log = self.log()
            warm = self.cold_start or TEMPLATE_READY in log  # sessions are forked from now on
            return warm and "host key fingerprint: SHA256:" in log

        wait_until(listening, timeout=timeout, what="ssh gateway")
        return self

    def template(self) -> psutil.Process:
        """The warm-start template process, the gateway's child."""
        assert self.proc is not None
        templates = [p for p in psutil.Process(self.proc.pid).children() if _is_template(p)]
        assert len(templates) == 1, templates
        return templates[0]

    def app_processes(self) -> list[psutil.Process]:
        """Every process the gateway has started for sessions (so not its template)."""
        assert self.proc is not None
        template = {p.pid for p in psutil.Process(self.proc.pid).children() if _is_template(p)}
        return [
            p
            for p in psutil.Process(self.proc.pid).children(recursive=True)
            if p.pid not in template
        ]

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path else ""

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def connect(self, username: str, **kw: Any) -> Any:
        kw.setdefault("known_hosts", None)
        kw.setdefault("client_keys", None)
        kw.setdefault("agent_path", None)
        return asyncssh.connect("127.0.0.1", self.port, username=username, connect_timeout=30, **kw)


def _is_template(process: psutil.Process) -> bool:
    try:
        return "sshd.template" in process.cmdline()
    except psutil.NoSuchProcess:
        return False


async def eventually(predicate: Callable[[], bool], what: str) -> None:
    """Poll without blocking the event loop (the client's own sockets live on it)."""
    for _ in range(int(WAIT * 10)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting: {what}")


class Screen:
    """Everything a session has printed so far, with a way to wait for something in it."""

    def __init__(self, process: asyncssh.SSHClientProcess[bytes]) -> None:
        self.process = process
        self.text = ""
        self._changed = asyncio.Event()
        self._task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            while data := await self.process.stdout.read(65536):
                self.text += data.decode(errors="replace")
                self._changed.set()
        except (asyncssh.Error, OSError):
            pass  # the connection went away: so does the screen
        self._changed.set()

    @property
    def closed(self) -> bool:
        return self._task.done()

    async def wait_for(self, needle: str, start: int = 0) -> int:
        """The offset just past the first `needle` at or after `start` (within WAIT seconds)."""
        try:
            async with asyncio.timeout(WAIT):
                while (at := self.text.find(needle, start)) < 0:
                    if self._task.done():
                        raise AssertionError(f"session closed before {needle!r}")
                    self._changed.clear()
                    await self._changed.wait()
        except (TimeoutError, AssertionError) as exc:
            raise AssertionError(
                f"{exc or 'timed out'}; no {needle!r} in:\n{self.plain()}"
            ) from exc
        return at + len(needle)

    def plain(self, tail: int = 3000) -> str:
        """The recent output without escape sequences, for failure messages."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.text)[-tail:]

    async def probe(self, kind: str, start: int = 0) -> tuple[dict[str, Any], int]:
        """The next probe report of this kind, and the offset after it."""
        at = await self.wait_for(f'PROBE {{"kind": "{kind}"', start=start)
        line_start = self.text.rfind("PROBE ", 0, at)
        end = await self.wait_for("\r\n", start=line_start)
        return json.loads(self.text[line_start + len("PROBE ") : end - 2]), end

    async def wait_closed(self) -> None:
        async with asyncio.timeout(WAIT):
            await asyncio.shield(self._task)
