"""Exports through real `taskroom worker` processes, Redis and PostgreSQL: retries, crashes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.server
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest
import redis
from saq.job import Job, Status

from api.domain.exports.queue import QUEUE_NAME, SCHEDULE_EVERY, make_queue
from api.rooms.publisher import room_key
from api.wire import room_of
from taskroom_cli.main import main
from tests.support import (
    ROOT,
    TASKROOM,
    ApiUser,
    RedisServer,
    Server,
    free_port,
    register,
    rmtree,
    server_env,
    stop_process,
    stream_entries,
    wait_until,
)
from tests.test_exports import TRICKY, check_csv, download, finished, make_project, tasks_of

SECRET = "test-secret-key-that-is-long-enough-0123456789"
EVENT_SLACK = 0.25  # s: recording a failure, then starting the next attempt and publishing


@dataclass
class WorkerProcess:
    """A real `taskroom worker` process with its own environment (failpoints are per process)."""

    env: dict[str, str]
    log_level: str = "warning"
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)

    def start(self) -> WorkerProcess:
        fd, log = tempfile.mkstemp(prefix="taskroom-worker-", suffix=".log")
        self.log_path = Path(log)
        self.proc = subprocess.Popen(
            [
                *TASKROOM,
                "worker",
                "--concurrency",
                "2",
                "--log-level",
                self.log_level,
                *self.extra_args,
            ],
            env={**os.environ, **self.env},
            stdout=fd,
            stderr=fd,
            cwd=ROOT,
        )
        os.close(fd)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path else ""


@dataclass
class Stack:
    env: dict[str, str]
    server: Server
    redis: RedisServer
    workers: list[WorkerProcess] = field(default_factory=list)

    def worker(self, log_level: str = "warning", **extra: str) -> WorkerProcess:
        w = WorkerProcess({**self.env, **extra}, log_level).start()
        self.workers.append(w)
        return w

    def stop_workers(self) -> None:
        for w in self.workers:
            w.stop()
        self.workers.clear()

    @property
    def export_dir(self) -> Path:
        return Path(self.env["TASKROOM_DATA_DIR"]) / "exports"

    def cli(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
    ) -> tuple[int, str, str]:
        """`taskroom …` run in this process (a subprocess costs seconds of imports on CI)."""
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err


@pytest.fixture(scope="module")
def stack(database_url: str) -> Iterator[Stack]:
    if database_url.startswith("sqlite"):
        # The export code is the in-process one, tested on SQLite in test_exports.py; the
        # queue, retries and crashes do not depend on the database: spare CI a second run.
        pytest.skip("worker tests run on PostgreSQL")
    data = Path(tempfile.mkdtemp(prefix="taskroom-exports-"))
    redis_server = RedisServer().start()
    env = server_env(data, database_url, redis_server.url, TASKROOM_WEBHOOK_ALLOW_PRIVATE="1")
    server = Server(env).start(timeout=120)  # a loaded 2-core CI box starts slowly
    s = Stack(env=env, server=server, redis=redis_server)
    yield s
    s.stop_workers()
    server.stop()
    redis_server.stop()
    rmtree(data)


@pytest.fixture
def user(stack: Stack) -> Iterator[ApiUser]:
    u = register(stack.server.url)
    yield u
    u.close()
    stack.stop_workers()


def published_updates(
    stack: Stack, project_id: str, export_id: str
) -> list[tuple[float, dict[str, Any]]]:
    """(when Redis took it, in s, the job) of every `export:updated` in the room's stream."""
    client = redis.Redis.from_url(stack.redis.url)
    try:
        entries = stream_entries(client.xrange(room_key(room_of(project_id), "events")))
    finally:
        client.close()
    frames = [(int(id_.split("-")[0]) / 1000, json.loads(fields[b"e"])) for id_, fields in entries]
    return [
        (at, f["data"])
        for at, f in frames
        if f["event"] == "export:updated" and f["data"]["id"] == export_id
    ]


def export_updates(stack: Stack, project_id: str, export_id: str) -> list[dict[str, Any]]:
    """The job as every `export:updated` in the project's room stream carried it, in order."""
    return [job for _, job in published_updates(stack, project_id, export_id)]


def start_export(user: ApiUser, project_id: str, fmt: str = "csv", **body: Any) -> str:
    r = user.client.post(f"/api/projects/{project_id}/exports", json={"format": fmt, **body})
    assert r.status_code == 202, r.text
    export_id: str = r.json()["id"]
    return export_id


def processing(user: ApiUser, export_id: str) -> bool:
    return bool(user.client.get(f"/api/exports/{export_id}").json()["status"] == "PROCESSING")


def queued_job(stack: Stack, export_id: str) -> Job | None:
    """The export's record in SAQ's queue."""

    async def read() -> Job | None:
        queue = make_queue(stack.redis.url)
        try:
            return await queue.job(export_id)
        finally:
            await queue.disconnect()

    return asyncio.run(read())


def leftovers(stack: Stack, project_id: str) -> list[str]:
    folder = stack.export_dir / project_id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_worker_exports_and_publishes_progress(stack: Stack, user: ApiUser) -> None:
    project_id = make_project(user, TRICKY * 10)
    export_id = start_export(user, project_id)
    r = user.client.get(f"/api/exports/{export_id}/download")
    assert r.status_code == 409  # no worker yet: still PENDING
    # At `info`, as `taskroom worker` runs by default: SAQ logs every job, which widens the
    # race between the start-up sweep and the first dequeue.
    stack.worker("info", TASKROOM_FAILPOINTS="export.row_delay_ms=40")
    job = finished(user, export_id)
    check_csv(download(user, job), tasks_of(user, project_id))
    assert job["attempts"] == 1 and job["started_at"] and job["finished_at"]
    seen = export_updates(stack, project_id, export_id)
    statuses = [j["status"] for j in seen]
    assert statuses[:2] == ["PENDING", "PROCESSING"] and statuses[-1] == "COMPLETED"
    progress = [j["progress"] for j in seen if j["status"] == "PROCESSING"]
    assert len(progress) >= 3 and progress == sorted(progress)  # ~1.6 s of rows
    duration = (_time(job["finished_at"]) - _time(job["started_at"])).total_seconds()
    assert len(progress) - 1 <= 4 * duration + 1  # at most 4 progress updates a second
    assert leftovers(stack, project_id) == [f"{export_id}.csv"]
    time.sleep(1)  # a sweep that took the first job for a stray queues it again at once
    saq_job = queued_job(stack, export_id)
    assert saq_job is not None and saq_job.status == Status.COMPLETE and saq_job.attempts == 1


def _time(value: str) -> Any:
    return msgspec.convert(value, type=__import__("datetime").datetime)


def test_failed_attempts_are_retried_after_2_then_4_seconds(stack: Stack, user: ApiUser) -> None:
    project_id = make_project(user, TRICKY)
    stack.worker(TASKROOM_FAILPOINTS="export.fail_attempts=2")
    export_id = start_export(user, project_id, "json")
    job = finished(user, export_id)
    seen = published_updates(stack, project_id, export_id)
    assert job["status"] == "COMPLETED" and job["attempts"] == 3 and job["error"] is None
    json.loads(download(user, job))
    failures = [(at, j) for at, j in seen if j["status"] == "PENDING" and j["attempts"]]
    assert [f["attempts"] for _, f in failures] == [1, 2]
    assert "fail_attempts" in failures[0][1]["error"]
    # From the failure's event to the next attempt's first one: 2 s, then 4 s; jitter may
    # shorten a wait, never lengthen it (contract §6). The slack is the events' own cost.
    starts = {j["attempts"]: at for at, j in reversed(seen) if j["status"] == "PROCESSING"}
    waits = [starts[f["attempts"] + 1] - at for at, f in failures]
    for wait, expected in zip(waits, [2.0, 4.0], strict=True):
        assert expected - SCHEDULE_EVERY < wait <= expected + EVENT_SLACK, waits
    assert leftovers(stack, project_id) == [f"{export_id}.json"]


def test_dead_letter_after_three_failures_then_retry(
    stack: Stack,
    user: ApiUser,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project_id = make_project(user, TRICKY)
    failing = stack.worker(TASKROOM_FAILPOINTS="export.fail_attempts=3")
    export_id = start_export(user, project_id)
    job = finished(user, export_id)
    assert job["status"] == "FAILED" and job["attempts"] == 3
    assert job["error"].startswith("attempt 3 failed: FailpointError")
    assert job["size_bytes"] is None and job["download_url"] is None
    assert user.client.get(f"/api/exports/{export_id}/download").status_code == 409
    assert leftovers(stack, project_id) == []  # no file, no temporary file

    code, out, err = stack.cli(monkeypatch, capsys, "exports", "failed")
    assert code == 0, err
    assert export_id in out and "FailpointError" in out

    failing.stop()
    stack.worker()
    code, out, err = stack.cli(monkeypatch, capsys, "exports", "retry", export_id)
    assert code == 0, err
    job = finished(user, export_id)
    assert job["status"] == "COMPLETED" and job["attempts"] == 1
    check_csv(download(user, job), tasks_of(user, project_id))
    assert export_id not in stack.cli(monkeypatch, capsys, "exports", "failed")[1]

    code, _, err = stack.cli(monkeypatch, capsys, "exports", "retry", export_id)
    assert code == 1 and "no failed export" in err  # no longer a dead letter


def test_sigkilled_worker_job_is_finished_by_another(stack: Stack, user: ApiUser) -> None:
    project_id = make_project(user, TRICKY * 15)
    doomed = stack.worker(TASKROOM_FAILPOINTS="export.row_delay_ms=100")
    export_id = start_export(user, project_id)

    def halfway() -> bool:
        job = user.client.get(f"/api/exports/{export_id}").json()
        return bool(job["status"] == "PROCESSING" and job["progress"] >= 0.1)

    wait_until(halfway, timeout=60, what="the export to get going")
    assert doomed.proc is not None
    doomed.proc.kill()  # SIGKILL: no clean-up, no goodbye
    doomed.proc.wait(10)
    assert any(name.endswith(".tmp") for name in leftovers(stack, project_id))

    stack.worker()
    job = finished(user, export_id, timeout=60)  # contract §6: taken up again within 60 s
    assert job["status"] == "COMPLETED" and job["attempts"] == 2
    check_csv(download(user, job), tasks_of(user, project_id))
    assert leftovers(stack, project_id) == [f"{export_id}.csv"]


def test_job_taken_at_start_up_by_a_worker_then_killed_is_retaken(
    stack: Stack, user: ApiUser
) -> None:
    """Queued while no worker runs; a worker starts, takes it, dies a second later; another worker.

    The order of issue 18, row 18: the starting worker's sweep and its first dequeue race.
    """
    project_id = make_project(user, TRICKY * 15)
    export_id = start_export(user, project_id)  # no worker yet: it waits in the queue
    doomed = stack.worker("info", TASKROOM_FAILPOINTS="export.row_delay_ms=100")

    wait_until(lambda: processing(user, export_id), timeout=60, what="the worker to take it")
    time.sleep(1)
    assert doomed.proc is not None
    doomed.proc.kill()
    doomed.proc.wait(10)

    stack.worker()
    job = finished(user, export_id, timeout=60)  # contract §6: taken up again within 60 s
    assert job["status"] == "COMPLETED" and job["attempts"] == 2
    check_csv(download(user, job), tasks_of(user, project_id))
    assert leftovers(stack, project_id) == [f"{export_id}.csv"]


def test_job_of_a_sweeper_killed_mid_sweep_is_retaken(stack: Stack, user: ApiUser) -> None:
    """SAQ's sweep takes a dead worker's job off the active list, then waits up to 5 s
    before queueing it again: the sweeper is SIGKILLed in that wait, and a third worker
    must still take the job up within 60 s of the first crash."""
    project_id = make_project(user, TRICKY * 15)
    doomed = stack.worker(TASKROOM_FAILPOINTS="export.row_delay_ms=100")
    export_id = start_export(user, project_id)
    wait_until(lambda: processing(user, export_id), timeout=60, what="the export to start")
    assert doomed.proc is not None
    doomed.proc.kill()
    crashed = time.monotonic()

    sweeper = stack.worker("info")
    wait_until(
        lambda: (
            f"Sweeping job Job<function: export, queue: {QUEUE_NAME}, key: {export_id}"
            in sweeper.log()
        ),
        timeout=30,
        what="another worker to sweep the job",
    )
    time.sleep(1)  # well inside its 5 s wait for the abort
    assert sweeper.proc is not None
    sweeper.proc.kill()

    stack.worker()
    job = finished(user, export_id, timeout=60 - (time.monotonic() - crashed))
    assert job["status"] == "COMPLETED" and job["attempts"] == 2
    check_csv(download(user, job), tasks_of(user, project_id))
    assert leftovers(stack, project_id) == [f"{export_id}.csv"]


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhook_receiver_gets_the_signed_event(stack: Stack, user: ApiUser) -> None:
    _Receiver.received.clear()
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        project_id = make_project(user, TRICKY)
        stack.worker()
        url = f"http://127.0.0.1:{receiver.server_port}/hook"
        export_id = start_export(user, project_id, "markdown", webhook_url=url)
        assert finished(user, export_id)["status"] == "COMPLETED"
        wait_until(lambda: _Receiver.received, what="the webhook")
    finally:
        receiver.shutdown()
        receiver.server_close()
    headers, body = _Receiver.received[-1]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Taskroom-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "export.completed"
    assert payload["job"]["id"] == export_id and payload["job"]["status"] == "COMPLETED"
