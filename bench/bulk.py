"""Benchmark: one bulk change of 500 tasks (POST /api/projects/{id}/tasks/bulk) on PostgreSQL,
against a bare Litestar JSON route timed the same way in the same run.

One uvicorn process serves both (bench/api.py's app). Each request is timed from the client
over loopback, one at a time, so the figure is the server's time plus a loopback round trip;
the bare route's time is that floor. A bulk change writes the 500 rows, 500 activity entries
and the room's sequence in one transaction, then sends 500 `task:updated` events.

    uv run python bench/bulk.py [--tasks 500] [--rounds 20]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import BARE_PATH, server
from tests.support import postgres_database


def timed(call: Callable[[], httpx.Response], rounds: int) -> list[float]:
    """Milliseconds per call, each checked for success."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        r = call()
        out.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.text
    return out


def row(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p90 = ms[min(len(ms) - 1, len(ms) * 9 // 10)]
    return f"{name:<28}{ms[0]:>9.1f}{statistics.median(ms):>9.1f}{p90:>9.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(server(stack.enter_context(postgres_database()), tmp))
        r = httpx.post(
            f"{url}/api/auth/register",
            json={"username": f"bench{uuid.uuid4().hex[:8]}", "password": "bench-password"},
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        c = stack.enter_context(httpx.Client(base_url=url, headers=headers, timeout=60))
        pid = c.post("/api/projects", json={"name": "Bulk"}).json()["id"]
        ids = [
            c.post(f"/api/projects/{pid}/tasks", json={"title": f"Task {i}"}).json()["id"]
            for i in range(args.tasks)
        ]
        label = c.post(f"/api/projects/{pid}/labels", json={"name": "bulk"}).json()["id"]
        path = f"/api/projects/{pid}/tasks/bulk"
        statuses = iter(["in_progress", "todo"] * args.rounds)
        adding = iter([True, False] * args.rounds)

        def status() -> httpx.Response:
            return c.post(path, json={"task_ids": ids, "set": {"status": next(statuses)}})

        def labels() -> httpx.Response:
            key = "add_labels" if next(adding) else "remove_labels"
            return c.post(path, json={"task_ids": ids, "set": {key: [label]}})

        def bare() -> httpx.Response:
            return c.get(BARE_PATH)

        for call in (bare, status, labels):  # warm up
            timed(call, 2)
        results = {
            "bare route": timed(bare, args.rounds),
            f"bulk status, {args.tasks} tasks": timed(status, args.rounds),
            f"bulk label, {args.tasks} tasks": timed(labels, args.rounds),
        }
    print(f"POST /api/projects/{{id}}/tasks/bulk on PostgreSQL, {args.rounds} rounds each, one at "
          "a time from one client over loopback, one uvicorn process")  # fmt: skip
    print(f"{'request':<28}{'min ms':>9}{'p50 ms':>9}{'p90 ms':>9}")
    for name, ms in results.items():
        print(row(name, ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
