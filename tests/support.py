"""Real processes for tests: `taskroom serve`, a Redis server the test owns, fresh databases."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import httpx
from redis.typing import StreamRangeResponse

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
PG_ADMIN_URL = os.environ.get("TASKROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TASKROOM = [str(Path(sys.executable).parent / "taskroom")]  # the real console script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], T | None],
    timeout: float = 15.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll until `predicate()` is truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)


# --- PostgreSQL ------------------------------------------------------------------------


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    name = f"taskroom_test_{uuid.uuid4().hex[:12]}"
    _psql(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    """Signal a child the test started and wait for it; kill it if it does not go."""
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# --- Redis -----------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A redis-server process the test owns (so it may flush, pause, kill and restart it)."""

    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._ping, what=f"redis on {self.port}")
        return self

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None


def stream_entries(
    reply: StreamRangeResponse | None,
) -> list[tuple[str, dict[bytes | str, bytes | str]]]:
    """A Redis stream's entries as (id, fields), from redis-py's reply typed for every protocol."""
    entries = []
    for entry_id, fields in reply or []:
        assert entry_id is not None and fields is not None, (entry_id, fields)
        entries.append((entry_id.decode() if isinstance(entry_id, bytes) else entry_id, fields))
    return entries


# --- taskroom serve --------------------------------------------------------------------


@dataclass
class Server:
    """A real `taskroom serve` process on a free loopback port."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 120.0) -> Server:
        fd, log = tempfile.mkstemp(prefix="taskroom-serve-", suffix=".log")
        self.log_path = Path(log)
        self.proc = subprocess.Popen(
            [
                *TASKROOM,
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *self.extra_args,
            ],
            env={**os.environ, **self.env},
            stdout=fd,
            stderr=fd,
            cwd=ROOT,
        )
        os.close(fd)

        def healthy() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=timeout, what="taskroom serve")
        return self

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)
        self.proc = None


def server_env(
    tmp: Path, database_url: str | None, redis_url: str | None = None, **extra: str
) -> dict[str, str]:
    env = {
        "TASKROOM_DATA_DIR": str(tmp),
        "TASKROOM_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "TASKROOM_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp / 'taskroom.db'}",
        "PYTHONUNBUFFERED": "1",
        # Tests register many users from one address; tests/test_login.py checks the limit.
        "TASKROOM_REGISTER_LIMIT": "0",
        **extra,
    }
    if redis_url:
        env["TASKROOM_REDIS_URL"] = redis_url
    else:
        env["TASKROOM_REDIS_URL"] = ""
    return env


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# --- API helpers -----------------------------------------------------------------------


@dataclass
class ApiUser:
    """A registered user with an httpx client that sends their bearer token."""

    username: str
    id: str
    token: str
    client: httpx.Client

    def close(self) -> None:
        self.client.close()


class MakeUser(Protocol):
    """The `make_user` fixture: registers a user (a fresh name unless given) on the server."""

    def __call__(self, username: str | None = None) -> ApiUser: ...


def register(base_url: str, username: str | None = None, password: str = "password-123") -> ApiUser:
    username = username or f"u{uuid.uuid4().hex[:10]}"
    r = httpx.post(
        f"{base_url}/api/auth/register",
        json={"username": username, "password": password},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    client = httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    )
    return ApiUser(
        username=username, id=body["user"]["id"], token=body["access_token"], client=client
    )
