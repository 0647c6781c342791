"""The room publisher against a real Redis: commit order, held events, retention, resync."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from api.events import DomainEvent
from api.rooms.publisher import RoomPublisher, room_key
from api.rooms.redis_broker import RedisBroker
from api.wire import EventName, room_of
from tests.support import RedisServer, stream_entries


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


def event(
    project_id: uuid.UUID, seq: int | None, title: str, name: EventName = "task:updated"
) -> DomainEvent:
    extra = {} if seq is None else {"seq": seq}
    return DomainEvent(
        name=name, project_id=project_id, data={"title": title}, actor=None, extra=extra
    )


async def titles(redis: Redis, project_id: uuid.UUID) -> list[str]:
    import msgspec

    rows = stream_entries(await redis.xrange(room_key(room_of(project_id), "events")))
    return [msgspec.json.decode(f[b"e"])["data"]["title"] for _, f in rows]


async def test_events_are_appended_in_sequence_order(redis: Redis) -> None:
    pub = RoomPublisher(redis, hold_ms=60_000)
    pid = uuid.uuid4()
    assert await pub.publish(event(pid, 1, "created", name="project:created")) == "appended"
    assert await pub.publish(event(pid, 3, "third")) == "held"  # overtook the second
    assert await pub.publish(event(pid, 2, "second")) == "appended"
    assert await pub.publish(event(pid, 2, "second again")) == "duplicate"
    assert await pub.publish(event(pid, None, "export")) == "appended"  # unnumbered: at once
    assert await titles(redis, pid) == ["second", "third", "export"]


async def test_a_lost_predecessor_holds_back_only_for_a_while(redis: Redis) -> None:
    pub = RoomPublisher(redis, hold_ms=300)
    pid = uuid.uuid4()
    await pub.publish(event(pid, 1, "one"))
    assert await pub.publish(event(pid, 3, "three")) == "held"  # 2 never comes
    await asyncio.sleep(0.4)
    await pub.release_held(room_of(pid))
    assert await titles(redis, pid) == ["one", "three"]
    assert await pub.publish(event(pid, 4, "four")) == "appended"


async def test_retention_and_resync(redis: Redis, redis_server: RedisServer) -> None:
    pub = RoomPublisher(redis, keep_events=50, keep_seconds=0)
    broker = RedisBroker(redis, redis_server.url)
    pid = uuid.uuid4()
    name = room_of(pid)
    for i in range(1, 201):
        await pub.publish(event(pid, i, f"e{i}"))
    kept = await redis.xlen(room_key(name, "events"))
    assert 50 <= kept <= 151
    rows = stream_entries(await redis.xrange(room_key(name, "events")))
    oldest, newest = rows[0][0], rows[-1][0]
    assert await broker.backlog(name, "0-0") is None  # trimmed events lie after it
    assert [e.cursor for e in await broker.backlog(name, oldest) or []] == [
        entry_id for entry_id, _ in rows[1:]
    ]
    assert await broker.backlog(name, newest) == []
    assert await broker.backlog(name, "99999999999999-0") is None  # never issued here
    assert await broker.backlog(room_of(uuid.uuid4()), "0-0") == []  # a quiet room
    assert await broker.backlog(room_of(uuid.uuid4()), oldest) is None  # expired room
    await broker.aclose()


async def test_retention_keeps_recent_events(redis: Redis) -> None:
    pub = RoomPublisher(redis, keep_events=10, keep_seconds=600)
    pid = uuid.uuid4()
    for i in range(1, 301):
        await pub.publish(event(pid, i, f"e{i}"))
    assert await redis.xlen(room_key(room_of(pid), "events")) == 300  # all younger than 10 min
