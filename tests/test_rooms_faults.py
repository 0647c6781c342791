"""Redis dies under a replica and comes back: writes go on, subscribers are told to resync."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.live import connected, room
from tests.support import RedisServer, Server, register, server_env


@pytest.fixture
def redis_and_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RedisServer, Server]]:
    redis = RedisServer().start()
    srv = Server(server_env(tmp_path_factory.mktemp("faults"), None, redis.url)).start(timeout=90)
    yield redis, srv
    srv.stop()
    redis.stop()


async def test_an_idle_room_is_not_told_to_resync(
    redis_and_server: tuple[RedisServer, Server],
) -> None:
    """Quiet reads are not outages: an idle subscriber hears nothing for 16 s (3 read blocks)."""
    _redis, srv = redis_and_server
    alice = register(srv.url)
    pid = alice.client.post("/api/projects", json={"name": "Idle"}).json()["id"]
    alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).raise_for_status()
    async with connected(srv.ws_url, alice.token) as (live,):
        assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        frames = await live.collect(16)
        assert [f for f in frames if f["type"] != "presence"] == []
    assert "room reader" not in srv.log()
    alice.close()


async def test_redis_outage_is_survived_and_announced(
    redis_and_server: tuple[RedisServer, Server],
) -> None:
    redis, srv = redis_and_server
    alice = register(srv.url)
    pid = alice.client.post("/api/projects", json={"name": "Outage"}).json()["id"]
    task = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
    async with connected(srv.ws_url, alice.token, alice.token) as (live, late):
        await live.subscribe(room(pid))
        redis.stop(signal.SIGKILL)
        # the write commits and answers although its event cannot be published
        r = alice.client.patch(f"/api/tasks/{task['id']}", json={"title": "during"})
        assert r.status_code == 200
        # its event is lost: the subscriber is told to refetch now, from the database
        assert (await live.expect("resync", within=15))["room"] == room(pid)
        answer = await late.subscribe(room(pid))
        assert answer["type"] == "error" and answer["code"] == "unavailable"
        redis.start()  # same port, empty: the streams are gone too, and the reader sees it
        assert (await live.expect("resync", within=30))["room"] == room(pid)
        alice.client.patch(f"/api/tasks/{task['id']}", json={"title": "after"}).raise_for_status()
        assert (await live.expect("event", within=15))["data"]["title"] == "after"
        assert (await late.subscribe(room(pid)))["type"] == "subscribed"
    alice.close()
