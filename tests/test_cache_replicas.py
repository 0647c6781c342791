"""Two replicas on one database and one Redis: a write on one is read at once on the other.

Each process keeps local copies of the bodies it has read (api/cache/store.py); this shows
that a copy on replica A is retired by a write made through replica B.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cache_support import cache_server, new_project, raw_redis, statements, users
from tests.support import RedisServer, Server, postgres_database


@pytest.fixture(scope="module")
def replicas(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    with (
        postgres_database() as url,
        cache_server(Path(tmp_path_factory.mktemp("a")), url, redis_server) as a,
        cache_server(Path(tmp_path_factory.mktemp("b")), url, redis_server) as b,
    ):
        yield a, b


def test_a_write_on_one_replica_retires_the_others_copy(
    replicas: tuple[Server, Server], redis_server: RedisServer
) -> None:
    a, b = replicas
    with (
        users(a, 2) as (alice_a, bob_a),
        httpx.Client(base_url=b.url, headers=alice_a.client.headers, timeout=10) as alice_b,
    ):
        pid = new_project(alice_a, bob_a)
        task = alice_a.client.post(f"/api/projects/{pid}/tasks", json={"title": "v1"}).json()
        for _ in range(3):  # A fills Redis and its own copy, then serves from the copy
            assert alice_a.client.get(f"/api/projects/{pid}").json()["tasks"][0]["title"] == "v1"
        before = statements(a)
        assert alice_a.client.get(f"/api/projects/{pid}").status_code == 200
        assert statements(a) == before  # a hit: no SQL on A

        for version, title in enumerate(["v2", "v3", "v4"], start=2):
            r = alice_b.patch(f"/api/tasks/{task['id']}", json={"title": title})
            assert r.status_code == 200 and r.json()["version"] == version
            assert alice_a.client.get(f"/api/projects/{pid}").json()["tasks"][0]["title"] == title
            assert bob_a.client.get("/api/projects").json()[0]["task_counts"]["todo"] == 1

        # A key gone from Redis (TTL, eviction, a flush) is not served from a local copy.
        raw_redis(redis_server).delete(f"v1:project:{pid}")
        before = statements(a)
        assert alice_a.client.get(f"/api/projects/{pid}").status_code == 200
        assert statements(a) > before
