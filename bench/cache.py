"""Cached reads vs cache off vs a bare Litestar route (issue 3), with `wrk`.

On one machine, one server process each: a Taskroom server with the cache (its own Redis),
one without Redis (cache off) on the same PostgreSQL database, and `bench/bare_app.py`
returning the same bytes. For 100- and 1 000-task projects it loads `GET /api/projects/{id}`
and `GET /api/projects` with 32 connections and prints requests/s, p50 and p99, and the
ratios against the bare route and against cache off measured in the same run.

    uv run python bench/cache.py [--seconds 8] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import (
    ROOT,
    ApiUser,
    RedisServer,
    Server,
    free_port,
    postgres_database,
    register,
    server_env,
    wait_until,
)

SIZES = (100, 1000)


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"not a wrk latency: {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _find(pattern: str, out: str) -> str:
    """The first group of `pattern` in wrk's report (multi-line)."""
    match = re.search(pattern, out, re.M)
    if match is None:
        raise RuntimeError(f"wrk's report has no {pattern!r}:\n{out}")
    return match.group(1)


def wrk(url: str, token: str | None, seconds: int, connections: int) -> Result:
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    out = subprocess.run(
        [
            "wrk",
            "--latency",
            "--timeout",
            "10s",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            *headers,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "99%" not in out:
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", out))
    p50 = _find(r"^\s+50%\s+(\S+)", out)
    p99 = _find(r"^\s+99%\s+(\S+)", out)
    return Result(rps, _ms(p50), _ms(p99))


@contextmanager
def bare_server(body: bytes, secret: str) -> Iterator[str]:
    with tempfile.NamedTemporaryFile(suffix=".json") as fh:
        fh.write(body)
        fh.flush()
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.bare_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env={**os.environ, "BENCH_BODY": fh.name, "TASKROOM_SECRET_KEY": secret},
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}/bare"

        def up() -> bool:
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(up, timeout=60, what="bare app")
            yield url.removesuffix("/bare")
        finally:
            proc.terminate()
            proc.wait(10)


def seed(user: ApiUser, tasks: int) -> str:
    pid = str(user.client.post("/api/projects", json={"name": f"{tasks} tasks"}).json()["id"])
    statuses = ("todo", "in_progress", "done")
    labels = [
        user.client.post(f"/api/projects/{pid}/labels", json={"name": name}).json()["id"]
        for name in ("bug", "feature", "ui")
    ]
    for i in range(tasks):  # two labels on every other task, a 3-item checklist on every 5th
        r = user.client.post(
            f"/api/projects/{pid}/tasks",
            json={
                "title": f"Task {i}",
                "description": "x" * 200,
                "status": statuses[i % 3],
                "labels": labels[i % 2 : i % 2 + 2] if i % 2 == 0 else [],
            },
        )
        assert r.status_code == 201, r.text
        task_id = r.json()["id"]
        for step in range(3 if i % 5 == 0 else 0):
            item = {"text": f"Step {step}", "done": step == 0}
            r = user.client.post(f"/api/tasks/{task_id}/checklist", json=item)
            assert r.status_code == 201, r.text
    return pid


def row(name: str, r: Result, bare: Result, off: Result | None = None) -> str:
    vs_off = f"{r.rps / off.rps:6.2f}x" if off else "       "
    return (
        f"{name:<34} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f}"
        f"   {r.rps / bare.rps:6.0%} {vs_off}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/cache.py needs wrk (apt-get install -y wrk)")

    def load(url: str, token: str | None = None) -> Result:
        return wrk(url, token, args.seconds, args.connections)

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        db = stack.enter_context(postgres_database())
        redis = RedisServer().start()
        stack.callback(redis.stop)
        cached = Server(server_env(tmp / "cached", db, redis.url)).start(timeout=120)
        stack.callback(cached.stop)
        plain = Server(server_env(tmp / "plain", db)).start(timeout=120)
        stack.callback(plain.stop)
        user = register(cached.url)

        print(f"{args.connections} connections, {args.seconds} s per run, 1 server process each")
        print(f"{'route':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}   {'/bare':>6} {'/off':>7}")
        secret = cached.env["TASKROOM_SECRET_KEY"]

        def compare(label: str, path: str) -> None:
            body = user.client.get(path).content
            with bare_server(body, secret) as bare_url:
                bare = load(bare_url + "/bare")
                bare_auth = load(bare_url + "/bare-auth", user.token)
            off = load(plain.url + path, user.token)
            hit = load(cached.url + path, user.token)
            print(row(f"bare Litestar ({len(body):,} B)", bare, bare))
            print(row("bare Litestar + JWT auth", bare_auth, bare))
            print(row(f"{label} cache off", off, bare))
            print(row(f"{label} cache hit", hit, bare, off))

        for tasks in SIZES:
            pid = seed(user, tasks)
            compare(f"GET /projects/{{id}} {tasks:>4}", f"/api/projects/{pid}")
        compare("GET /projects", "/api/projects")


if __name__ == "__main__":
    main()
