"""Two `taskroom serve` replicas on one PostgreSQL and one Redis: rooms span both."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import Live, room
from tests.support import ApiUser, RedisServer, Server, postgres_database, register, server_env


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    redis = RedisServer().start()
    with postgres_database() as db:
        tmp: Path = tmp_path_factory.mktemp("replicas")
        first = Server(server_env(tmp, db, redis.url)).start(timeout=90)
        second = Server(server_env(tmp, db, redis.url)).start(timeout=90)
        try:
            yield first, second
        finally:
            first.stop()
            second.stop()
            redis.stop()


def _hammer(user: ApiUser, task_id: str, n: int) -> None:
    """`n` successful updates; a 409 (the other writer won the row) is retried."""
    done = 0
    while done < n:
        r = user.client.patch(f"/api/tasks/{task_id}", json={"title": f"{user.username} {done}"})
        assert r.status_code in (200, 409), r.text
        done += r.status_code == 200


async def test_events_presence_typing_and_order_across_replicas(
    replicas: tuple[Server, Server],
) -> None:
    one, two = replicas
    alice, bob = register(one.url), register(two.url)
    bob_on_one = ApiUser(bob.username, bob.id, bob.token, bob.client)
    pid = alice.client.post("/api/projects", json={"name": "Shared"}).json()["id"]
    alice.client.post(
        f"/api/projects/{pid}/members", json={"username": bob.username, "role": "editor"}
    )
    a = await Live.connect(one.ws_url, alice.token)
    b = await Live.connect(two.ws_url, bob.token)
    try:
        await a.subscribe(room(pid))
        await b.subscribe(room(pid))
        while sorted(u["id"] for u in (await a.expect("presence"))["users"]) != sorted(
            [alice.id, bob.id]
        ):
            pass
        # a write through replica one reaches a subscriber on replica two, and back
        task = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
        assert (await b.expect("event"))["data"]["id"] == task["id"]
        assert (await a.expect("event"))["event"] == "task:created"
        await b.send(type="typing", room=room(pid), task_id=task["id"], state="start")
        assert (await a.expect("typing"))["user"]["id"] == bob.id
        # concurrent writers on both replicas: every subscriber sees commit order
        n = 15
        writers = [
            threading.Thread(target=_hammer, args=(alice, task["id"], n)),
            threading.Thread(target=_hammer, args=(bob_on_one, task["id"], n)),
        ]
        bob_on_one.client.base_url = two.url
        for w in writers:
            w.start()

        def join_writers() -> None:
            for w in writers:
                w.join()

        await asyncio.to_thread(join_writers)
        seen = []
        for live in (a, b):
            events = await live.events(2 * n, within=60)
            assert [e["data"]["version"] for e in events] == list(range(2, 2 * n + 2))
            seen.append([e["cursor"] for e in events])
        assert seen[0] == seen[1]
    finally:
        await a.close()
        await b.close()
        alice.close()
        bob.close()


async def test_removal_and_a_killed_replica(replicas: tuple[Server, Server]) -> None:
    one, two = replicas
    alice, bob, carol = register(one.url), register(two.url), register(two.url)
    pid = alice.client.post("/api/projects", json={"name": "Shared"}).json()["id"]
    for u in (bob, carol):
        alice.client.post(
            f"/api/projects/{pid}/members", json={"username": u.username, "role": "viewer"}
        )
    a = await Live.connect(one.ws_url, alice.token)
    b = await Live.connect(two.ws_url, bob.token)
    c = await Live.connect(two.ws_url, carol.token)
    try:
        for live in (a, b, c):
            await live.subscribe(room(pid))
        # removed through replica one, told at once on replica two
        assert alice.client.delete(f"/api/projects/{pid}/members/{bob.id}").status_code == 204
        assert (await b.expect("error"))["code"] == "forbidden"
        alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "after"}).raise_for_status()
        assert (await c.expect("event", event="task:created"))["data"]["title"] == "after"
        assert not [f for f in await b.collect(1.0) if f.get("room") == room(pid)]
        # replica two dies without a goodbye: carol leaves alice's presence within ~30 s
        want = sorted([alice.id, carol.id])
        while sorted(u["id"] for u in (await a.expect("presence"))["users"]) != want:
            pass
        assert two.proc is not None
        two.proc.send_signal(signal.SIGKILL)
        two.proc.wait(10)
        while [u["id"] for u in (await a.expect("presence", within=40))["users"]] != [alice.id]:
            pass
    finally:
        for live in (a, b, c):
            await live.close()
        for u in (alice, bob, carol):
            u.close()
