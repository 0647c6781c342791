"""Benchmark: GET /api/search over 100 000 tasks in 50 projects on PostgreSQL, against a bare
Litestar JSON route measured the same way in the same run.

Both are served by ONE uvicorn process (bench/api.py's app: the product app, with one path sent
to a bare Litestar app) and driven from outside by `wrk`; search requests cycle through 300
queries (a Lua script): whole words, 4-letter prefixes, and two words of one task's title.
The caller is a member of all 50 projects, so every task is searched.

    uv run python bench/search.py [--tasks 100000] [--seconds 10] [--connections 4]
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
import urllib.parse
import uuid
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import BARE_PATH, Target, measure, server
from tests.support import postgres_database

PROJECTS = 50
QUERIES = 300
TASK_COLUMNS = ["id", "project_id", "title", "description", "status", "priority", "position",
                "version", "created_at", "updated_at", "created_by", "updated_by"]  # fmt: skip


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return list(
        dict.fromkeys("".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(size))
    )


def seed_api(url: str) -> tuple[str, list[uuid.UUID], uuid.UUID]:
    """A user with 50 projects, made through the API (memberships as the app writes them)."""
    r = httpx.post(
        f"{url}/api/auth/register",
        json={"username": f"bench{uuid.uuid4().hex[:8]}", "password": "bench-password"},
    )
    body = r.json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    with httpx.Client(base_url=url, headers=headers) as c:
        projects = [
            uuid.UUID(c.post("/api/projects", json={"name": f"Bench {i}"}).json()["id"])
            for i in range(PROJECTS)
        ]
    return body["access_token"], projects, uuid.UUID(body["user"]["id"])


async def seed_tasks(
    dsn: str, projects: list[uuid.UUID], user: uuid.UUID, count: int, words: list[str]
) -> list[str]:
    """`count` tasks by COPY (the generated search column fills itself); returns their titles.
    Words are drawn with a Zipf-like skew, so some are common and most are rare."""
    rng = random.Random(2)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    now = dt.datetime.now(dt.UTC)
    rows, titles = [], []
    for i in range(count):
        title = " ".join(rng.choices(words, weights, k=rng.randint(3, 7))).capitalize()
        description = " ".join(rng.choices(words, weights, k=rng.randint(0, 30)))
        titles.append(title)
        rows.append((uuid.uuid4(), projects[i % len(projects)], title, description,
                     ("todo", "in_progress", "done")[i % 3], "medium", float(i), 1, now, now,
                     user, user))  # fmt: skip
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.copy_records_to_table("tasks", records=rows, columns=TASK_COLUMNS)
        await conn.execute("VACUUM ANALYZE tasks")
    finally:
        await conn.close()
    return titles


def queries(rng: random.Random, words: list[str], titles: list[str]) -> list[str]:
    out = []
    for i in range(QUERIES):
        if i % 3 == 0:
            out.append(rng.choice(words))
        elif i % 3 == 1:
            out.append(rng.choice(words)[:4])
        else:
            out.append(" ".join(rng.choice(titles).split()[:2]))
    return out


def lua_script(paths: list[str], where: Path) -> Path:
    listed = ",\n".join(f'  "{p}"' for p in paths)
    where.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\nend\n'
    )
    return where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench/search.py needs wrk (apt-get install -y wrk)", file=sys.stderr)
        return 1
    rng = random.Random(1)
    words = vocabulary(rng)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        dsn = stack.enter_context(postgres_database())
        url = stack.enter_context(server(dsn, tmp))
        token, projects, user = seed_api(url)
        titles = asyncio.run(seed_tasks(dsn, projects, user, args.tasks, words))
        qs = queries(rng, words, titles)
        paths = [f"/api/search?{urllib.parse.urlencode({'q': q})}" for q in qs]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
            totals = [c.get(p).json()["total"] for p in paths]
        script = lua_script(paths, tmp / "search.lua")
        targets: dict[str, Target] = {"bare": (f"{url}{BARE_PATH}", None), "search": (url, script)}
        results = measure(targets, token, args.seconds, args.connections)
    totals.sort()
    print(f"GET /api/search, {args.tasks} tasks in {PROJECTS} projects (PostgreSQL), {QUERIES}"
          " queries in turn, vs a bare Litestar JSON route (a 100-task project body)")  # fmt: skip
    print(f"matches per query: median {totals[len(totals) // 2]}, p90 "
          f"{totals[len(totals) * 9 // 10]}, max {totals[-1]}")  # fmt: skip
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, one uvicorn process")
    print(f"{'route':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, r in results.items():
        print(f"{name:<10}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}")
    print(f"p99 search/bare: {results['search']['p99'] / results['bare']['p99']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
