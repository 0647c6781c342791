"""Export speed and memory: a real `taskroom worker` beside PostgreSQL's own COPY of the same rows.

    uv run python bench/export.py [--tasks 100000] [--small 10000] [--runs 5]

Both sides are timed the same way, from outside, median of `--runs`: an export from its
request (the job row and its enqueue, as `POST .../exports` does them) until polling sees it
COMPLETED (its file whole and renamed); COPY ... TO STDOUT WITH CSV from the query until its
file is written, on a connection opened beforehand. Also prints the worker's peak RSS
(VmHWM) after the small project and after the big one: flat means streaming.
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
from api.domain.exports.formats.rows import TASK_FIELDS
from api.domain.exports.queue import enqueue_export, make_queue
from tests.support import TASKROOM, RedisServer, postgres_database, rmtree

COLUMNS = ", ".join(f for f in TASK_FIELDS if f != "project_id")


async def seed(dsn: str, sizes: list[int]) -> list[uuid.UUID]:
    conn = await asyncpg.connect(dsn)
    try:
        user, now = uuid.uuid4(), dt.datetime.now(dt.UTC)
        await conn.execute(
            "INSERT INTO users (id, username, display_name, password_hash, created_at)"
            " VALUES ($1, 'bench', 'Bench', 'x', $2)",
            user,
            now,
        )
        projects = []
        for size in sizes:
            project = uuid.uuid4()
            projects.append(project)
            await conn.execute(
                "INSERT INTO projects (id, name, description, owner_id, version, created_at,"
                " updated_at) VALUES ($1, $2, '', $3, 1, $4, $4)",
                project,
                f"bench {size}",
                user,
                now,
            )
            statuses, priorities = ("todo", "in_progress", "done"), ("low", "medium", "high")
            rows = [
                (
                    uuid.uuid4(),
                    project,
                    f"Task {i} =SUM(A{i})" if i % 10 == 0 else f"Task number {i}",
                    'A description, with a comma and "quotes".\nSecond line.' * (i % 3),
                    statuses[i % 3],
                    priorities[i % 3],
                    None,
                    dt.date(2030, 1, 1 + i % 28) if i % 2 else None,
                    float(i),
                    1,
                    now,
                    now,
                    user,
                    user,
                )
                for i in range(size)
            ]
            await conn.copy_records_to_table(
                "tasks",
                records=rows,
                columns=list(TASK_FIELDS),
            )
        await conn.execute("ANALYZE tasks")
        return projects
    finally:
        await conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: its cost whatever else the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle_rss_mb(pid: int) -> float:
    """Peak RSS once the freshly started worker has settled (imports done, queue polled)."""
    last, steady = -1.0, 0
    while steady < 6:
        time.sleep(0.5)
        now = peak_rss_mb(pid)
        steady = steady + 1 if now == last else 0
        last = now
    return last


POLL = 0.01  # seconds between looks at the job row


async def run_export(dsn: str, redis_url: str, project: uuid.UUID, fmt: str) -> float:
    """Seconds from the request to the whole file, as a client polling the job sees them."""
    conn = await asyncpg.connect(dsn)
    queue = make_queue(redis_url)
    try:
        export_id = uuid.uuid4()
        start = time.perf_counter()
        await conn.execute(
            "INSERT INTO export_jobs (id, project_id, format, status, attempts, progress,"
            " created_at) VALUES ($1, $2, $3, 'PENDING', 0, 0, now())",
            export_id,
            project,
            fmt,
        )
        await enqueue_export(queue, export_id)
        while True:
            row = await conn.fetchrow(
                "SELECT status, file_path, size_bytes, error FROM export_jobs WHERE id = $1",
                export_id,
            )
            assert row is not None
            if row["status"] == "COMPLETED":
                elapsed = time.perf_counter() - start
                size = await asyncio.to_thread(os.path.getsize, row["file_path"])
                assert size == row["size_bytes"]
                return elapsed
            if row["status"] == "FAILED":
                raise RuntimeError(row["error"])
            await asyncio.sleep(POLL)
    finally:
        await queue.disconnect()
        await conn.close()


async def copy_seconds(dsn: str, project: uuid.UUID, out: Path, runs: int) -> list[float]:
    """COPY of the same rows into a file, each run on the one connection opened beforehand."""
    query = (
        f"SELECT {COLUMNS} FROM tasks WHERE project_id = '{project}' ORDER BY status, position, id"
    )
    conn = await asyncpg.connect(dsn)
    try:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            await conn.copy_from_query(query, output=str(out), format="csv", header=True)
            times.append(time.perf_counter() - start)
        return times
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="taskroom-bench-"))
    redis_server = RedisServer().start()
    results: dict[str | tuple[str, str], float] = {}
    try:
        with postgres_database() as url:
            dsn = url.replace("postgresql+asyncpg://", "postgresql://")
            migrate.upgrade(url)
            small, big = asyncio.run(seed(dsn, [args.small, args.tasks]))
            env = {
                **os.environ,
                "TASKROOM_DATABASE_URL": url,
                "TASKROOM_REDIS_URL": redis_server.url,
                "TASKROOM_DATA_DIR": str(data),
                "TASKROOM_SECRET_KEY": "bench-secret-key-0123456789-0123456789",
            }
            worker = subprocess.Popen(
                [*TASKROOM, "worker", "--concurrency", "1", "--log-level", "warning"], env=env
            )
            try:
                results["idle-rss"] = idle_rss_mb(worker.pid)
                print(f"  idle worker: peak RSS {results['idle-rss']:.1f} MB")
                for label, project, n, runs in (
                    ("small", small, args.small, 1),
                    ("big", big, args.tasks, args.runs),
                ):
                    for fmt in ("csv", "json"):
                        cpu = cpu_seconds(worker.pid)
                        times = [
                            asyncio.run(run_export(dsn, redis_server.url, project, fmt))
                            for _ in range(runs)
                        ]
                        results[label, fmt] = statistics.median(times)
                        results[label, fmt + "-cpu"] = (cpu_seconds(worker.pid) - cpu) / runs
                    results[label, "rss"] = peak_rss_mb(worker.pid)
                    print(f"{n:>7} tasks: worker peak RSS {results[label, 'rss']:.1f} MB")
            finally:
                worker.terminate()
                worker.wait(30)
            copies = asyncio.run(copy_seconds(dsn, big, data / "copy.csv", args.runs))
            copy = statistics.median(copies)
    finally:
        redis_server.stop()
        rmtree(data)

    print(f"{args.tasks} tasks on PostgreSQL, median of {args.runs}, request to whole file")
    print(f"  COPY ... TO STDOUT WITH CSV (open connection)  {copy:7.3f} s   1.00x")
    for fmt in ("csv", "json"):
        seconds, cpu = results["big", fmt], results["big", fmt + "-cpu"]
        print(
            f"  taskroom worker {fmt:<4} (request to COMPLETED)  {seconds:7.3f} s  "
            f"{seconds / copy:5.2f}x   (worker CPU {cpu:.2f} s)"
        )
    small_rss, big_rss = results["small", "rss"], results["big", "rss"]
    print(
        f"  worker peak RSS: {small_rss:.1f} MB after {args.small} tasks, "
        f"{big_rss:.1f} MB after {args.tasks} ({big_rss / small_rss:.2f}x)"
    )


if __name__ == "__main__":
    main()
