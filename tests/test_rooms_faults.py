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
        answer = await late.subscribe(room(pid))
        assert answer["type"] == "error" and answer["code"] == "unavailable"
        redis.start()  # same port, empty: the streams are gone too
        assert (await live.expect("resync", within=30))["room"] == room(pid)
        alice.client.patch(f"/api/tasks/{task['id']}", json={"title": "after"}).raise_for_status()
        assert (await live.expect("event", within=15))["data"]["title"] == "after"
        assert (await late.subscribe(room(pid)))["type"] == "subscribed"
    alice.close()
