"""Notifications scaled out: two API replicas and two workers on PostgreSQL and Redis.

Live frames cross replicas through the user's Redis channel; the due-soon scan runs on
both workers at once (every second here) and still writes one notification per task and
due date; instant email goes out as the workers' SAQ jobs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from api.db.session import make_sessionmaker
from api.domain.notifications.due import scan_due_soon
from tests.live import Live, connected
from tests.support import (
    RedisServer,
    Server,
    postgres_database,
    register,
    server_env,
    wait_until,
)
from tests.test_comments import project_with_task
from tests.test_export_worker import WorkerProcess
from tests.test_notification_email import SmtpSink, to, wants_mail


@dataclass
class Scaled:
    one: Server
    two: Server
    smtp: SmtpSink
    database_url: str


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    redis = RedisServer().start()
    smtp = SmtpSink(tmp_path_factory.mktemp("smtp")).start()
    with postgres_database() as db:
        tmp: Path = tmp_path_factory.mktemp("scaled")
        env = server_env(
            tmp,
            db,
            redis.url,
            TASKROOM_SMTP_URL=smtp.url,
            TASKROOM_MAIL_FROM="tasks@example.org",
            TASKROOM_FAILPOINTS="notifications.scan_seconds=1",
        )
        one = Server(env).start(timeout=90)
        two = Server(env).start(timeout=90)
        workers = [WorkerProcess(env).start(), WorkerProcess(env).start()]
        try:
            yield Scaled(one, two, smtp, db)
        finally:
            for w in workers:
                w.stop()
            one.stop()
            two.stop()
            smtp.stop()
            redis.stop()


async def test_frames_cross_replicas(scaled: Scaled) -> None:
    owner, bob = register(scaled.one.url), register(scaled.two.url)
    _pid, task = project_with_task(owner, editor=bob)
    async with connected(scaled.two.ws_url, bob.token) as [on_two]:
        on_one = await Live.connect(scaled.one.ws_url, bob.token)
        try:
            await asyncio.sleep(0.5)  # both replicas' subscriptions are up long before
            owner.client.patch(f"/api/tasks/{task}", json={"assignee_id": bob.id})  # replica one
            frames = [await live.expect("notification") for live in (on_two, on_one)]
            assert {f["data"]["id"] for f in frames} == {frames[0]["data"]["id"]}
            assert all(f["unread"] == 1 for f in frames)
            # read on replica two: both sockets hear the new count
            bob.client.post("/api/me/notifications/read", json={"all": True})
            for live in (on_two, on_one):
                assert await live.expect("unread") == {"type": "unread", "count": 0}
        finally:
            await on_one.close()


async def test_due_soon_once_per_task_and_date_with_two_workers(scaled: Scaled) -> None:
    owner, bob = register(scaled.one.url), register(scaled.two.url)
    pid, _task = project_with_task(owner, editor=bob)
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    later = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)).isoformat()
    async with connected(scaled.two.ws_url, bob.token) as [live]:
        for title, due in (("soon", tomorrow), ("soon too", tomorrow), ("later", later)):
            r = owner.client.post(
                f"/api/projects/{pid}/tasks",
                json={"title": title, "assignee_id": bob.id, "due_date": due},
            )
            assert r.status_code == 201
        data = await _due(live)  # live from a worker, through bob's channel
        assert data["actor"] is None and data["read"] is False
    await asyncio.sleep(3)  # three more scans on each worker

    def due_soon() -> list[str]:
        items = bob.client.get("/api/me/notifications").json()["items"]
        return sorted(n["task"]["title"] for n in items if n["kind"] == "due_soon")

    assert wait_until(lambda: due_soon() == ["soon", "soon too"], what="two due-soon") is True


async def _due(live: Live) -> dict[str, object]:
    """The data of the next due_soon frame (the matcher wants whole values)."""
    while True:
        frame = await live.expect("notification")
        if frame["data"]["kind"] == "due_soon":
            return dict(frame["data"])


async def test_concurrent_scans_write_each_due_soon_once(scaled: Scaled) -> None:
    """Six scans at the same instant on six connections: the unique key decides, no lock."""
    owner, bob = register(scaled.one.url), register(scaled.two.url)
    pid, _task = project_with_task(owner, editor=bob)
    today = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)  # no worker scans this day
    owner.client.post(
        f"/api/projects/{pid}/tasks",
        json={"title": "x", "assignee_id": bob.id, "due_date": str(today + dt.timedelta(1))},
    )
    engines = [create_async_engine(scaled.database_url) for _ in range(6)]
    try:
        results = await asyncio.gather(
            *(scan_due_soon(make_sessionmaker(e), today, False) for e in engines)
        )
    finally:
        for e in engines:
            await e.dispose()
    assert sorted(len(r) for r in results) == [0, 0, 0, 0, 0, 1]


def test_instant_email_is_a_worker_job(scaled: Scaled) -> None:
    owner = register(scaled.one.url)
    erin = wants_mail(scaled.two, "erin@mail.example")
    _pid, task = project_with_task(owner, editor=erin)
    owner.client.post(f"/api/tasks/{task}/comments", json={"body": f"@{erin.username} hi"})
    [msg] = wait_until(lambda: to(scaled.smtp, "erin@mail.example"), what="erin's mail")
    assert "mentioned you" in str(msg["Subject"])


async def test_me_frames_cross_replicas(scaled: Scaled) -> None:
    """Changes to bob's own world reach both his sockets (one per replica, neither in a room):
    shared with him, his role, renamed, him removed, deleted; an outsider hears none."""
    owner, bob, carol = (register(scaled.one.url) for _ in range(3))
    pid = owner.client.post("/api/projects", json={"name": "Shared later"}).json()["id"]
    async with connected(scaled.two.ws_url, bob.token, carol.token) as [on_two, outsider]:
        on_one = await Live.connect(scaled.one.ws_url, bob.token)
        try:
            await asyncio.sleep(0.5)  # both replicas' subscriptions are up long before

            async def both(event: str) -> dict[str, object]:
                frames = [await live.expect("me", event=event) for live in (on_two, on_one)]
                assert frames[0] == frames[1] and frames[0]["project_id"] == pid
                return dict(frames[0]["data"])

            members = f"/api/projects/{pid}/members"
            owner.client.post(members, json={"username": bob.username, "role": "editor"})
            assert (await both("member:added"))["role"] == "editor"
            owner.client.patch(f"{members}/{bob.id}", json={"role": "viewer"})
            assert (await both("member:added"))["role"] == "viewer"
            owner.client.patch(f"/api/projects/{pid}", json={"name": "Renamed"})
            assert (await both("project:updated"))["name"] == "Renamed"
            assert owner.client.delete(f"{members}/{bob.id}").status_code == 204
            assert (await both("member:removed"))["user_id"] == bob.id
            owner.client.post(members, json={"username": bob.username, "role": "editor"})
            await both("member:added")
            assert owner.client.delete(f"/api/projects/{pid}").status_code == 204
            assert await both("project:deleted") == {"id": pid}
            assert [f for f in await outsider.collect(0.5) if f["type"] == "me"] == []
        finally:
            await on_one.close()
