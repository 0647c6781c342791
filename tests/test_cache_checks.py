"""The hit path's shared round trips and remembered member views (api/cache/store.py, views.py).

Against a real Redis server the test owns: many concurrent hits on local copies share a few
round trips, yet each still sees a drop that finished before it started; a paused Redis
fails a whole queue of hits within one bound; a member's view is made once per body.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis

from api.cache.store import CacheStore
from api.cache.views import Views
from api.runtime import make_redis
from api.settings import Failpoints
from tests.cache_support import raw_redis
from tests.support import RedisServer

BODY = b'{"id":"checks"}'


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def key() -> str:
    return f"v1:project:{uuid.uuid4()}"


@pytest.fixture
async def store(own_redis: RedisServer) -> AsyncIterator[CacheStore]:
    client = make_redis(own_redis.url, socket_timeout=1.0, socket_connect_timeout=1.0)
    cache = CacheStore(client, timeout=0.1, failpoints=Failpoints.parse(""))
    yield cache
    await cache.aclose()
    await client.aclose()


def checks_made(admin: redis.Redis) -> int:
    stats = admin.info("commandstats")
    return int(stats.get("cmdstat_exists", {}).get("calls", 0))


async def loads(counter: list[int]) -> bytes:
    counter.append(1)
    return BODY


async def test_concurrent_hits_share_round_trips(
    own_redis: RedisServer, store: CacheStore, key: str
) -> None:
    admin = raw_redis(own_redis)
    filled: list[int] = []
    assert await store.get_or_fill(key, 60, lambda: loads(filled)) == BODY
    before = checks_made(admin)
    bodies = await asyncio.gather(
        *(store.get_or_fill(key, 60, lambda: loads(filled)) for _ in range(200))
    )
    assert bodies == [BODY] * 200 and filled == [1]
    asked = checks_made(admin) - before
    assert 1 <= asked < 20, f"{asked} round trips for 200 concurrent hits"


async def test_a_hit_started_after_a_drop_never_gets_the_old_copy(
    store: CacheStore, key: str
) -> None:
    fills: list[int] = []

    async def numbered() -> bytes:
        fills.append(1)
        return b'{"fill":%d}' % len(fills)

    retired = {await store.get_or_fill(key, 60, numbered)}
    for _ in range(20):
        await store.drop([key])  # a write's drop, finished before the next hits start
        bodies = set(
            await asyncio.gather(*(store.get_or_fill(key, 60, numbered) for _ in range(10)))
        )
        assert not bodies & retired, "a hit served a copy the drop retired"
        retired = bodies


async def test_a_paused_redis_fails_the_whole_queue_within_one_bound(
    own_redis: RedisServer, store: CacheStore, key: str
) -> None:
    admin = raw_redis(own_redis)
    filled: list[int] = []
    await store.get_or_fill(key, 60, lambda: loads(filled))
    admin.client_pause(3000)
    try:
        start = time.monotonic()

        async def hit_later(delay: float) -> float:
            await asyncio.sleep(delay)  # joins the queue behind a round trip already out
            await store.get_or_fill(key, 60, lambda: loads(filled))
            return time.monotonic() - start - delay

        waits = await asyncio.gather(*(hit_later(i * 0.01) for i in range(8)))
    finally:
        admin.client_unpause()
    assert len(filled) == 1 + 8, "every hit fell back to its loader"
    assert max(waits) < 1.0, f"waited {max(waits):.2f}s on a paused Redis"


def test_a_view_is_made_once_per_body_object() -> None:
    views = Views(max_bytes=1000)
    made: list[bytes] = []

    def make(body: bytes, name: str) -> bytes:
        made.append(body)
        return body.upper()

    first = bytes(b"abc" * 10)
    assert views.get(first, "ann", make) == b"ABC" * 10
    assert views.get(first, "ann", make) is views.get(first, "ann", make)
    assert len(made) == 1
    views.get(first, "bob", make)
    assert len(made) == 2
    second = bytes(bytearray(first))  # equal bytes, another object: a refill
    views.get(second, "ann", make)
    assert len(made) == 3
    for i in range(100):  # the byte bound evicts the least recently used
        views.get(bytes([i]) * 50, "ann", make)
    assert views.held_bytes <= 1000


async def test_closing_the_store_fails_a_round_trip_in_flight_over(
    own_redis: RedisServer, key: str
) -> None:
    client = make_redis(own_redis.url, socket_timeout=5.0, socket_connect_timeout=5.0)
    cache = CacheStore(client, timeout=5.0, failpoints=Failpoints.parse(""))
    filled: list[int] = []
    await cache.get_or_fill(key, 60, lambda: loads(filled))
    admin = raw_redis(own_redis)
    admin.client_pause(1000)
    try:
        hit = asyncio.ensure_future(cache.get_or_fill(key, 60, lambda: loads(filled)))
        await asyncio.sleep(0.1)  # its round trip is out, stuck on the pause
        await cache.aclose()
        assert await asyncio.wait_for(hit, 0.5) == BODY  # answered by its loader at once
        assert len(filled) == 2
    finally:
        await client.aclose()
