"""Benchmark: the history and inbox routes at 100 000 entries each, on PostgreSQL, against a
bare Litestar JSON route measured the same way in the same run (contract §8, issue 19).

One project holds 100 000 activity entries (a tenth of them on the task whose history is
read) and its owner has 100 000 notifications (a fifth unread). Rows are written by COPY in
the shape the app writes them; the routes are driven from outside by `wrk` in one uvicorn
process (bench/api.py's app). Then each route's own statement (`page_query` of its service,
compiled for PostgreSQL) is EXPLAINed with ANALYZE, and so is the unread count.

    uv run python bench/history.py [--entries 100000] [--seconds 10] [--connections 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import random
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql.elements import ClauseElement

from api.domain.activity.service import page_query as activity_page
from api.domain.notifications.schemas import unread_count_query
from api.domain.notifications.service import page_query as inbox_page
from bench.api import BARE_PATH, Target, measure, server
from tests.support import postgres_database

ACTIVITY = ["id", "project_id", "task_id", "at", "actor_id", "actor_username", "event",
            "summary", "changes"]  # fmt: skip
CHANGES = '{"priority": ["low", "high"]}'
NOTIFICATIONS = ["id", "user_id", "project_id", "task_id", "kind", "actor_id", "actor_username",
                 "at", "read_at"]  # fmt: skip


def seed_api(url: str) -> dict[str, Any]:
    """A user, a project and one task, made through the API."""
    r = httpx.post(
        f"{url}/api/auth/register",
        json={"username": f"bench{uuid.uuid4().hex[:8]}", "password": "bench-password"},
    )
    body = r.json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    with httpx.Client(base_url=url, headers=headers) as c:
        project = c.post("/api/projects", json={"name": "History"}).json()["id"]
        task = c.post(f"/api/projects/{project}/tasks", json={"title": "Busy task"}).json()["id"]
    return {
        "token": body["access_token"],
        "user": uuid.UUID(body["user"]["id"]),
        "username": body["user"]["username"],
        "project": uuid.UUID(project),
        "task": uuid.UUID(task),
    }


async def seed_rows(dsn: str, s: dict[str, Any], count: int) -> None:
    rng = random.Random(3)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    other_tasks = [uuid.uuid4() for _ in range(500)]
    activity, inbox = [], []
    for i in range(count):
        at = start + dt.timedelta(seconds=i * 300 + rng.random())
        task = s["task"] if i % 10 == 0 else rng.choice(other_tasks)
        activity.append((uuid.uuid4(), s["project"], task, at, s["user"], s["username"],
                         "task:updated", "Changed the priority", CHANGES))  # fmt: skip
        read_at = None if i % 5 == 0 else at
        inbox.append((uuid.uuid4(), s["user"], s["project"], s["task"], "commented", s["user"],
                      s["username"], at, read_at))  # fmt: skip
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.copy_records_to_table("activity_entries", records=activity, columns=ACTIVITY)
        await conn.copy_records_to_table("notifications", records=inbox, columns=NOTIFICATIONS)
        await conn.execute("VACUUM ANALYZE activity_entries")
        await conn.execute("VACUUM ANALYZE notifications")
    finally:
        await conn.close()


def sql_of(stmt: ClauseElement, dsn: str) -> str:
    """The statement as the app sends it to PostgreSQL, values inlined for EXPLAIN."""
    dialect = create_async_engine(dsn).dialect
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def explain(dsn: str, statements: dict[str, ClauseElement]) -> None:
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
    try:
        for name, stmt in statements.items():
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql_of(stmt, dsn)}")
            print(f"\n--- EXPLAIN {name}")
            print("\n".join(row[0] for row in plan))
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench/history.py needs wrk (apt-get install -y wrk)", file=sys.stderr)
        return 1
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        dsn = stack.enter_context(postgres_database())
        url = stack.enter_context(server(dsn, tmp))
        s = seed_api(url)
        asyncio.run(seed_rows(dsn, s, args.entries))
        paths = {
            "bare": BARE_PATH,
            "task history": f"/api/tasks/{s['task']}/activity",
            "project history": f"/api/projects/{s['project']}/activity",
            "inbox": "/api/me/notifications",
            "inbox unread": "/api/me/notifications?unread=true",
        }
        targets: dict[str, Target] = {name: (f"{url}{p}", None) for name, p in paths.items()}
        results = measure(targets, s["token"], args.seconds, args.connections)
        n = args.entries
        print(f"{n} activity entries in one project ({n // 10} on the task),"
              f" {n} notifications ({n // 5} unread), PostgreSQL")  # fmt: skip
        print(
            f"wrk -t2 -c{args.connections} -d{args.seconds}s, one uvicorn process, default limit 50"
        )
        print(f"{'route':<18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'p99/bare':>10}")
        for name, r in results.items():
            ratio = r["p99"] / results["bare"]["p99"]
            print(f"{name:<18}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{ratio:>10.2f}")
        asyncio.run(
            explain(
                dsn,
                {
                    "task history": activity_page(s["project"], s["task"], 50),
                    "project history": activity_page(s["project"], None, 50),
                    "inbox": inbox_page(s["user"], False, 50),
                    "inbox unread": inbox_page(s["user"], True, 50),
                    "unread count": unread_count_query(s["user"]),
                },
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
