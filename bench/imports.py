"""Import speed and memory: a real `taskroom worker` beside PostgreSQL's COPY FROM of the same rows.

    uv run python bench/imports.py [--tasks 100000] [--small 10000] [--runs 3]

Both sides are timed the same way, from outside, median of `--runs`: an import from its
request (the uploaded file in place, the job row and its enqueue, as `POST .../imports` does
them) until polling sees it COMPLETED (every task committed), also until its `task:created`
events are all published (the upload deleted); `COPY tasks FROM STDIN WITH CSV` of the same
rows (the table's own columns) from a file, on a connection opened beforehand. Also prints
the worker's peak RSS (VmHWM) after the small file and after the big one: flat means streaming.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.db import migrate
from api.domain.exports.queue import IMPORT_JOB, enqueue_job, make_queue
from bench.export import cpu_seconds, idle_rss_mb, peak_rss_mb
from tests.support import TASKROOM, RedisServer, postgres_database, rmtree

POLL = 0.01  # seconds between looks at the job row
STATUSES, PRIORITIES = ("todo", "in_progress", "done"), ("low", "medium", "high")
COPY_COLUMNS = [
    "id", "project_id", "title", "description", "status", "priority", "due_date", "position",
    "version", "comment_count", "created_at", "updated_at", "created_by", "updated_by",
]  # fmt: skip


def cells(i: int) -> tuple[str, str, str, str, str]:
    title = f"Task {i} =SUM(A{i})" if i % 10 == 0 else f"Task number {i}"
    description = '"A description, with a comma and ""quotes"".\nSecond line."' if i % 3 else ""
    due = f"2030-01-{1 + i % 28:02d}" if i % 2 else ""
    return title, description, STATUSES[i % 3], PRIORITIES[i % 3], due


def write_files(folder: Path, n: int, user: uuid.UUID) -> tuple[Path, Path]:
    """The import's CSV (title, description, status, priority, due_date) and COPY's (every
    column a task row needs), the same tasks."""
    upload, copy = folder / f"upload-{n}.csv", folder / f"copy-{n}.csv"
    now = dt.datetime.now(dt.UTC).isoformat()
    with upload.open("w") as up, copy.open("w") as cp:
        up.write("title,description,status,priority,due_date\n")
        for i in range(n):
            title, description, status, priority, due = cells(i)
            up.write(f"{title},{description},{status},{priority},{due}\n")
            cp.write(
                f"{uuid.uuid4()},{{project}},{title},{description},{status},{priority},{due},"
                f"{1024.0 * (i + 1)},1,0,{now},{now},{user},{user}\n"
            )
    return upload, copy


async def seed_user(dsn: str) -> uuid.UUID:
    conn = await asyncpg.connect(dsn)
    try:
        user = uuid.uuid4()
        await conn.execute(
            "INSERT INTO users (id, username, display_name, password_hash, created_at)"
            " VALUES ($1, 'bench', 'Bench', 'x', now())",
            user,
        )
        return user
    finally:
        await conn.close()


async def new_project(conn: asyncpg.Connection, user: uuid.UUID) -> uuid.UUID:
    project = uuid.uuid4()
    await conn.execute(
        "INSERT INTO projects (id, name, description, owner_id, version, event_seq, created_at,"
        " updated_at) VALUES ($1, 'bench', '', $2, 1, 0, now(), now())",
        project,
        user,
    )
    await conn.execute(
        "INSERT INTO memberships (project_id, user_id, role, created_at)"
        " VALUES ($1, $2, 'owner', now())",
        project,
        user,
    )
    return project


async def run_import(
    dsn: str, redis_url: str, export_dir: Path, user: uuid.UUID, upload: Path
) -> tuple[float, float]:
    """(seconds to COMPLETED, seconds until every event is out) of one import."""
    conn = await asyncpg.connect(dsn)
    queue = make_queue(redis_url)
    try:
        project = await new_project(conn, user)
        job_id = uuid.uuid4()
        target = export_dir / str(project) / f"{job_id}.import"
        target.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        await asyncio.to_thread(target.write_bytes, await asyncio.to_thread(upload.read_bytes))
        await conn.execute(
            "INSERT INTO imports (id, project_id, user_id, format, status, attempts, progress,"
            " created, skipped, errors, warnings, file_path, created_at)"
            " VALUES ($1, $2, $3, 'csv', 'PENDING', 0, 0, 0, 0, '[]', '[]', $4, now())",
            job_id,
            project,
            user,
            str(target),
        )
        await enqueue_job(queue, IMPORT_JOB, job_id)
        completed = 0.0
        while True:
            row = await conn.fetchrow("SELECT status, errors FROM imports WHERE id = $1", job_id)
            assert row is not None
            if row["status"] == "FAILED":
                raise RuntimeError(row["errors"])
            if row["status"] == "COMPLETED" and not completed:
                completed = time.perf_counter() - start
            if completed and not await asyncio.to_thread(target.exists):
                return completed, time.perf_counter() - start
            await asyncio.sleep(POLL)
    finally:
        await queue.disconnect()
        await conn.close()


def _for_project(copy: Path, project: uuid.UUID) -> Path:
    rows = copy.with_name(f"copy-{project}.csv")
    rows.write_text(copy.read_text().replace("{project}", str(project)))
    return rows


async def copy_seconds(dsn: str, user: uuid.UUID, copy: Path, runs: int) -> list[float]:
    """COPY FROM of the same rows, each run into a new project on one connection."""
    conn = await asyncpg.connect(dsn)
    try:
        times = []
        for _ in range(runs):
            project = await new_project(conn, user)
            rows = await asyncio.to_thread(_for_project, copy, project)
            start = time.perf_counter()
            await conn.copy_to_table(
                "tasks",
                source=str(rows),
                columns=COPY_COLUMNS,
                format="csv",
                force_not_null=["description"],
            )
            times.append(time.perf_counter() - start)
            rows.unlink()
        return times
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="taskroom-bench-"))
    redis_server = RedisServer().start()
    results: dict[str, float] = {}
    try:
        with postgres_database() as url:
            dsn = url.replace("postgresql+asyncpg://", "postgresql://")
            migrate.upgrade(url)
            user = asyncio.run(seed_user(dsn))
            small_upload, _ = write_files(data, args.small, user)
            big_upload, big_copy = write_files(data, args.tasks, user)
            env = {
                **os.environ,
                "TASKROOM_DATABASE_URL": url,
                "TASKROOM_REDIS_URL": redis_server.url,
                "TASKROOM_DATA_DIR": str(data),
                "TASKROOM_SECRET_KEY": "bench-secret-key-0123456789-0123456789",
            }
            export_dir = data / "exports"
            worker = subprocess.Popen(
                [*TASKROOM, "worker", "--concurrency", "1", "--log-level", "warning"], env=env
            )
            try:
                print(f"  idle worker: peak RSS {idle_rss_mb(worker.pid):.1f} MB")
                asyncio.run(run_import(dsn, redis_server.url, export_dir, user, small_upload))
                results["small-rss"] = peak_rss_mb(worker.pid)
                print(f"{args.small:>7} rows: worker peak RSS {results['small-rss']:.1f} MB")
                cpu = cpu_seconds(worker.pid)
                runs = [
                    asyncio.run(run_import(dsn, redis_server.url, export_dir, user, big_upload))
                    for _ in range(args.runs)
                ]
                results["cpu"] = (cpu_seconds(worker.pid) - cpu) / args.runs
                results["completed"] = statistics.median(r[0] for r in runs)
                results["announced"] = statistics.median(r[1] for r in runs)
                results["big-rss"] = peak_rss_mb(worker.pid)
                print(f"{args.tasks:>7} rows: worker peak RSS {results['big-rss']:.1f} MB")
            finally:
                worker.terminate()
                worker.wait(30)
            copy = statistics.median(asyncio.run(copy_seconds(dsn, user, big_copy, args.runs)))
    finally:
        redis_server.stop()
        rmtree(data)

    print(f"{args.tasks} CSV rows into PostgreSQL, median of {args.runs}")
    print(f"  COPY tasks FROM STDIN WITH CSV (open connection)   {copy:7.3f} s   1.00x")
    completed, announced = results["completed"], results["announced"]
    print(
        f"  taskroom worker import (request to COMPLETED)     {completed:7.3f} s  "
        f"{completed / copy:5.2f}x   (worker CPU {results['cpu']:.2f} s, events included)"
    )
    print(
        f"  … and every task:created published               {announced:7.3f} s  "
        f"{announced / copy:5.2f}x"
    )
    small_rss, big_rss = results["small-rss"], results["big-rss"]
    print(
        f"  worker peak RSS: {small_rss:.1f} MB after {args.small} rows, "
        f"{big_rss:.1f} MB after {args.tasks} ({big_rss / small_rss:.2f}x)"
    )


if __name__ == "__main__":
    main()
