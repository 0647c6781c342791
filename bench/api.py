"""Benchmark: GET /api/projects/{id} (100 tasks) against a bare Litestar JSON route.

Both routes live in ONE uvicorn process (the product app, plus a bench-only ASGI wrapper
that sends one path to a bare Litestar app returning a payload of the same shape and size)
and are driven by the same load generator, `wrk`. What it prints is the ratio: how much of
the framework's own ceiling the real route keeps, measured in the same run.

    uv run python bench/api.py [--database sqlite|postgres] [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import free_port, postgres_database, wait_until  # noqa: E402

BARE_PATH = "/bench/bare"
TASKS = 100


def bare_payload() -> dict[str, Any]:
    """A project body shaped like the real one: 100 tasks, a few members."""
    now = dt.datetime.now(dt.UTC).isoformat()
    pid, uid = str(uuid.uuid4()), str(uuid.uuid4())
    task = {
        "project_id": pid, "title": "A task title of ordinary length", "description": "",
        "status": "todo", "priority": "medium", "assignee_id": None, "due_date": None,
        "version": 1, "created_at": now, "updated_at": now, "created_by": uid, "updated_by": uid,
    }  # fmt: skip
    return {
        "id": pid, "name": "Bench", "description": "", "owner_id": uid, "role": "owner",
        "task_counts": {"todo": TASKS, "in_progress": 0, "done": 0}, "version": 1,
        "updated_at": now,
        "members": [
            {"user_id": uid, "username": "bench", "display_name": "bench", "role": "owner"}
        ],
        "tasks": [{**task, "id": str(uuid.uuid4()), "position": 1024.0 * i} for i in range(TASKS)],
    }  # fmt: skip


def create_bench_app() -> Any:
    """The product app, with BARE_PATH routed to a bare Litestar app (bench only)."""
    from litestar import Litestar, get

    from api.app import create_app

    payload = bare_payload()

    @get(BARE_PATH)
    async def bare() -> dict[str, Any]:
        return payload

    product, bare_app = create_app(), Litestar([bare])

    async def app(scope: Any, receive: Any, send: Any) -> None:
        target = bare_app if scope["type"] == "http" and scope["path"] == BARE_PATH else product
        await target(scope, receive, send)

    return app


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    else:
        with postgres_database() as url:
            yield url


@contextlib.contextmanager
def server(database_url: str, tmp: Path) -> Iterator[str]:
    from api.db import migrate

    migrate.upgrade(database_url)
    port = free_port()
    env = {
        **os.environ,
        "TASKROOM_DATA_DIR": str(tmp),
        "TASKROOM_DATABASE_URL": database_url,
        "TASKROOM_SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
        "TASKROOM_REDIS_URL": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.api:create_bench_app", "--factory",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url), timeout=120, what="bench server")
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def seed(url: str) -> tuple[str, str]:
    """A user's token and a project with 100 tasks."""
    r = httpx.post(
        f"{url}/api/auth/register",
        json={"username": f"bench{uuid.uuid4().hex[:8]}", "password": "bench-password"},
    )
    token = r.json()["access_token"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        pid = c.post("/api/projects", json={"name": "Bench"}).json()["id"]
        for i in range(TASKS):
            status = ("todo", "in_progress", "done")[i % 3]
            c.post(f"/api/projects/{pid}/tasks", json={"title": f"Task {i}", "status": status})
        assert len(c.get(f"/api/projects/{pid}").json()["tasks"]) == TASKS
    return token, pid


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if match is None:
        raise ValueError(f"not a wrk latency: {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str, token: str, seconds: int, connections: int, script: Path | None = None
) -> dict[str, float]:
    """wrk's figures for `url`; with `script`, the Lua file that picks each request's path."""
    lua = ["-s", str(script)] if script else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-H", f"Authorization: Bearer {token}", *lua, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    requests = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert requests is not None, out
    rps = float(requests.group(1))
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    assert {"50", "99"} <= set(pct), out
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, f"{url} answered errors:\n{out}"
    return {"rps": rps, "p50": _ms(pct["50"]), "p99": _ms(pct["99"])}


Target = tuple[str, Path | None]  # a URL, and the Lua script that picks each request's path


def measure(
    targets: dict[str, Target], token: str, seconds: int, connections: int
) -> dict[str, dict[str, float]]:
    """Every target warmed up for 2 s first, then each timed for `seconds`, one after another."""
    for url, script in targets.values():
        wrk(url, token, 2, connections, script)
    return {
        name: wrk(url, token, seconds, connections, script)
        for name, (url, script) in targets.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench/api.py needs wrk (apt-get install -y wrk)", file=sys.stderr)
        return 1
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(server(stack.enter_context(database(args.database, tmp)), tmp))
        token, pid = seed(url)
        targets: dict[str, Target] = {
            "bare": (f"{url}{BARE_PATH}", None),
            "project": (f"{url}/api/projects/{pid}", None),
        }
        results = measure(targets, token, args.seconds, args.connections)
    print(
        f"GET /api/projects/{{id}} ({TASKS} tasks, {args.database}) vs a bare Litestar JSON route"
    )
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, one uvicorn process")
    print(f"{'route':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, r in results.items():
        print(f"{name:<10}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}")
    ratio = results["project"]["rps"] / results["bare"]["rps"]
    print(f"ratio project/bare req/s: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
