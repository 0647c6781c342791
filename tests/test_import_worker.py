"""Imports through real `taskroom worker` processes, Redis and PostgreSQL: events, a worker
SIGKILLed mid-import, a failpoint before the commit (the stack of test_export_worker.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid

import redis
from sqlalchemy import update

from api.db.models import ImportJob, utcnow
from api.db.session import make_engine, make_sessionmaker
from api.domain.exports.cleanup import reconcile
from api.domain.exports.queue import make_queue
from api.rooms.publisher import room_key
from api.wire import room_of
from tests.support import ApiUser, stream_entries, wait_until
from tests.test_export_worker import Stack, leftovers, queued_job, stack, user
from tests.test_exports import make_project
from tests.test_imports import finished, start, tasks_of

__all__ = ["stack", "user"]  # the fixtures, shared with the export worker tests


def csv_rows(n: int) -> bytes:
    return ("title,priority\r\n" + "".join(f"task {i},high\r\n" for i in range(n))).encode()


def room_events(stack: Stack, project_id: str) -> list[dict[str, object]]:
    client = redis.Redis.from_url(stack.redis.url)
    try:
        entries = stream_entries(client.xrange(room_key(room_of(project_id), "events")))
    finally:
        client.close()
    return [json.loads(fields[b"e"]) for _, fields in entries]


def test_worker_imports_then_announces_each_task(stack: Stack, user: ApiUser) -> None:
    project_id = make_project(user, [])
    job = start(user, project_id, csv_rows(2500), "csv")
    assert job["status"] == "PENDING"
    stack.worker()
    job = finished(user, job["id"])
    assert (job["status"], job["created"]) == ("COMPLETED", 2500), job
    assert len(tasks_of(user, project_id)) == 2500

    def announced() -> list[dict[str, object]] | None:
        events = room_events(stack, project_id)
        created = [e for e in events if e["event"] == "task:created"]
        return events if len(created) == 2500 else None

    events = wait_until(announced, timeout=60, what="2500 task:created events")
    wait_until(lambda: leftovers(stack, project_id) == [], what="the upload to go once announced")
    updates = [e["data"]["status"] for e in events if e["event"] == "import:updated"]  # type: ignore[index]
    assert updates[0] == "PENDING" and updates[-1] == "COMPLETED"
    last_update = max(i for i, e in enumerate(events) if e["event"] == "import:updated")
    first_task = min(i for i, e in enumerate(events) if e["event"] == "task:created")
    assert last_update < first_task  # the tasks are announced after the commit
    assert {e["actor"]["username"] for e in events if e["event"] == "task:created"} == {  # type: ignore[index]
        user.username
    }


def test_sigkilled_worker_mid_import_is_retried_without_doubles(
    stack: Stack, user: ApiUser
) -> None:
    project_id = make_project(user, [])
    # Pass 2 sleeps 2 ms a row: 3 000 rows insert over ~6 s, in one open transaction.
    doomed = stack.worker(TASKROOM_FAILPOINTS="import.row_delay_ms=2")
    job_id = start(user, project_id, csv_rows(3000), "csv")["id"]

    def inserting() -> bool:
        saq_job = queued_job(stack, job_id)
        return saq_job is not None and saq_job.progress > 0.5

    wait_until(inserting, timeout=60, interval=0.05, what="the import's second pass")
    assert doomed.proc is not None
    doomed.proc.kill()  # SIGKILL mid-transaction: PostgreSQL rolls it back
    doomed.proc.wait(10)
    assert user.client.get(f"/api/imports/{job_id}").json()["status"] == "PROCESSING"
    assert tasks_of(user, project_id) == []

    stack.worker()
    job = finished(user, job_id)  # taken up again by the sweep (contract §6: within 60 s)
    assert (job["status"], job["created"]) == ("COMPLETED", 3000), job
    titles = [t["title"] for t in tasks_of(user, project_id)]
    assert len(titles) == len(set(titles)) == 3000  # none twice
    saq_job = queued_job(stack, job_id)
    assert saq_job is not None and saq_job.attempts == 2


def test_failure_before_the_commit_leaves_nothing(stack: Stack, user: ApiUser) -> None:
    project_id = make_project(user, [{"title": "kept"}])
    stack.worker(TASKROOM_FAILPOINTS="import.fail_before_commit=1")
    job = finished(user, start(user, project_id, csv_rows(100), "csv")["id"])
    assert job["status"] == "FAILED" and job["created"] == 0, job
    assert "attempt 3 failed: FailpointError" in job["errors"][0]["message"]
    assert [t["title"] for t in tasks_of(user, project_id)] == ["kept"]
    assert leftovers(stack, project_id) == []


def test_an_import_whose_enqueue_was_lost_is_queued_again(stack: Stack, user: ApiUser) -> None:
    """Redis lost the job between the row's commit and a worker (the upkeep's reconcile)."""
    project_id = make_project(user, [])
    job_id = start(user, project_id, csv_rows(10), "csv")["id"]

    async def lose_then_reconcile() -> None:
        engine = make_engine(stack.env["TASKROOM_DATABASE_URL"])
        queue = make_queue(stack.redis.url)
        try:
            saq_id = queue.job_id(job_id)  # out of every list SAQ keeps, as if never queued
            await queue.redis.delete(saq_id)
            await queue.redis.zrem(queue.namespace("incomplete"), saq_id)
            await queue.redis.lrem(queue.namespace("queued"), 0, saq_id)
            async with engine.begin() as conn:
                await conn.execute(
                    update(ImportJob)
                    .where(ImportJob.id == uuid.UUID(job_id))
                    .values(created_at=utcnow() - dt.timedelta(minutes=5))
                )
            await reconcile(make_sessionmaker(engine), queue)
        finally:
            await queue.disconnect()
            await engine.dispose()

    asyncio.run(lose_then_reconcile())
    assert queued_job(stack, job_id) is not None
    stack.worker()
    job = finished(user, job_id)
    assert (job["status"], job["created"]) == ("COMPLETED", 10), job
