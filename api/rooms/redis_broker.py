"""The Redis backend: room streams, presence sorted sets, and one reader task per replica.

Keys (beside the publisher's `…:events`, `…:seq`, `…:held`, `…:floor`):
- `taskroom:room:<room>:live` — a short stream of ephemeral notices (presence changed,
  typing frames); never replayed, capped at ~100 entries.
- `taskroom:room:<room>:presence` — a sorted set of `<replica>|<user id>|<username>`
  scored by expiry (ms). Each replica refreshes its own members every few seconds, so a
  killed replica's users drop out within `PRESENCE_TTL` seconds.
- `taskroom:replica:<id>:wake` — lets `watch()` interrupt the reader's blocking XREAD.
- `taskroom:user:<user id>` — a pub/sub channel per user for notification frames. Each
  replica holds one pattern subscription to all of them for its whole life and hands a
  frame to that user's local sockets, if any: no per-socket subscribe that a frame could
  overtake, and nothing to redo when a socket comes or goes. Frames are not kept (the inbox
  route is the record); one published while Redis is away is lost.

The reader holds one connection in `XREAD BLOCK` over the events and live streams of
every room that has a local subscriber, from concrete ids (never `$`), so nothing that
arrives between two reads is skipped; the hub filters by cursor, so nothing is doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, cast

import msgspec
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError, ResponseError

from api.events import DomainEvent
from api.rooms.broker import HOLD_SECONDS, ZERO_CURSOR, Entry, Sink, cursor_key, sorted_users
from api.rooms.publisher import USER_CHANNELS, RoomPublisher, room_key, user_channel
from api.runtime import make_redis
from api.wire import Actor, room_of

logger = logging.getLogger(__name__)

PRESENCE_TTL = 20.0
PRESENCE_REFRESH = 5.0
LIVE_MAXLEN = 100
LIVE_TTL = 3600
READ_BLOCK_MS = 5000
# Subscribing, presence and typing wait on Redis up to this long (pool included): a
# reconnect storm queues a thousand subscribes at once, which the 100 ms bound of HTTP
# requests (contract §4) would turn into `unavailable`. Publishing keeps that bound.
ROOMS_REDIS_TIMEOUT = 2.0
# The storm also opens the pool's connections all at once; on a busy box one connect can take
# over a second, so a refused or slow connect is tried again (reads and idempotent writes only).
ROOMS_REDIS_RETRY = Retry(ExponentialBackoff(cap=0.5, base=0.05), 2)
# A quiet block must come back as an empty reply: the reader's socket waits well past it
# (redis-py's default of 5 s equals the block, so every quiet block timed out).
READ_SOCKET_TIMEOUT = READ_BLOCK_MS / 1000 + 5.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entry(entry_id: Any, fields: dict[bytes, bytes]) -> Entry:
    return Entry.make(_text(entry_id), fields[b"e"], _text(fields[b"r"]))


class _Notice(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of a room's live stream."""

    kind: str  # "presence" | "typing"
    frame: bytes = b""
    user_id: str = ""


class RedisBroker:
    def __init__(self, redis: Redis, url: str) -> None:
        self._redis = make_redis(
            url,
            socket_timeout=ROOMS_REDIS_TIMEOUT,
            socket_connect_timeout=ROOMS_REDIS_TIMEOUT,
            retry=ROOMS_REDIS_RETRY,
        )
        # The reader blocks for seconds: it needs a client without the 100 ms timeout.
        self._reader_redis: Redis = Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=READ_SOCKET_TIMEOUT
        )
        # The user channels' subscriber waits for messages: no short socket timeout either.
        self._users_redis: Redis = Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=READ_SOCKET_TIMEOUT
        )
        self._publisher = RoomPublisher(redis)
        self._fast = redis  # the 100 ms-bound client: publishing never holds a request up
        self._replica = uuid.uuid4().hex[:12]
        self._wake = f"taskroom:replica:{self._replica}:wake"
        self._positions: dict[str, str] = {}  # stream key -> last id read
        self._streams: dict[str, tuple[str, str]] = {}  # stream key -> (room, kind)
        self._joined: dict[str, dict[str, Actor]] = {}  # room -> users present via us
        self._sink: Sink | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self, sink: Sink) -> None:
        self._sink = sink
        self._tasks = [
            asyncio.create_task(self._read_forever(), name="rooms-reader"),
            asyncio.create_task(self._refresh_presence(), name="rooms-presence"),
            asyncio.create_task(self._listen_users(), name="rooms-users"),
        ]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(RedisError, OSError):
            for room, users in list(self._joined.items()):
                for user in list(users.values()):
                    await self.leave(room, user)
        await self._reader_redis.aclose()
        await self._users_redis.aclose()
        await self._redis.aclose()

    # --- events ----------------------------------------------------------------------

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            try:
                outcome = await self._publisher.publish(event)
            except (RedisError, OSError):
                logger.warning("could not publish %s for %s", event.name, event.project_id)
                if self._sink is not None:  # this replica's subscribers refetch at once
                    self._sink.on_gap([room_of(event.project_id)])
                continue
            if outcome == "held":
                self._spawn(self._release_later(event))

    async def _release_later(self, event: DomainEvent) -> None:
        await asyncio.sleep(HOLD_SECONDS + 0.1)
        with contextlib.suppress(RedisError, OSError):
            await self._publisher.release_held(f"project:{event.project_id}")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def tail(self, room: str) -> str:
        newest = await self._redis.xrevrange(room_key(room, "events"), count=1)
        return _text(newest[0][0]) if newest else ZERO_CURSOR

    async def backlog(self, room: str, since: str) -> list[Entry] | None:
        key = room_key(room, "events")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(room_key(room, "floor"))
            pipe.xinfo_stream(key)
            pipe.xrange(key, min=f"({since}")
            floor, info, rows = await pipe.execute(raise_on_error=False)
        if isinstance(info, ResponseError):  # no such stream: nothing ever kept, or expired
            return [] if since == ZERO_CURSOR else None
        for reply in (floor, info):
            if isinstance(reply, Exception):
                raise reply
        since_key = cursor_key(since)
        trimmed = cursor_key(_text(floor or ZERO_CURSOR))
        newest = cursor_key(_text(info.get("last-generated-id", ZERO_CURSOR)))
        if since_key is None or (trimmed and since_key < trimmed):
            return None  # some events after the cursor were trimmed
        if newest and since_key > newest:
            return None  # a cursor this stream never issued (XRANGE refuses the largest one)
        if isinstance(rows, Exception):
            raise rows
        return [_entry(i, f) for i, f in rows]

    # --- user channels ------------------------------------------------------------------

    async def publish_to_user(self, user_id: uuid.UUID, frame: bytes) -> None:
        await self._fast.publish(user_channel(user_id), frame)

    async def _listen_users(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._users_redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(f"{USER_CHANNELS}*")
                backoff = 0.1
                while True:
                    message = await pubsub.get_message(timeout=READ_BLOCK_MS / 1000)
                    if message is not None and self._sink is not None:
                        user_id = _text(message["channel"]).removeprefix(USER_CHANNELS)
                        self._sink.on_user(user_id, message["data"])
            except (RedisError, OSError) as exc:
                logger.warning("user channels: %s; retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

    # --- the reader --------------------------------------------------------------------

    async def watch(self, room: str) -> None:
        for kind in ("events", "live"):
            key = room_key(room, kind)
            newest = await self._redis.xrevrange(key, count=1)
            self._positions[key] = _text(newest[0][0]) if newest else ZERO_CURSOR
            self._streams[key] = (room, kind)
        await self._redis.xadd(self._wake, {"w": "1"}, maxlen=1)
        await self._redis.expire(self._wake, 60)

    async def unwatch(self, room: str) -> None:
        for kind in ("events", "live"):
            key = room_key(room, kind)
            self._positions.pop(key, None)
            self._streams.pop(key, None)

    async def _read_forever(self) -> None:
        """Read until cancelled; after an outage, resync the rooms that may have lost events."""
        backoff = 0.1
        broken = False
        while True:
            try:
                if broken:
                    await self._reader_redis.ping()
                    await self._recover()
                    broken = False
                await self._read_once()
                backoff = 0.1
            except (RedisError, OSError) as exc:
                broken = True
                logger.warning("room reader: %s; retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def _recover(self) -> None:
        """Redis answers again: refresh presence, resync rooms whose stream lost our place."""
        lost: list[str] = []
        for key, (room, kind) in list(self._streams.items()):
            if kind == "live":
                if self._sink is not None:
                    self._sink.on_presence(room)
            elif not await self._continues(key, self._positions.get(key, ZERO_CURSOR)):
                lost.append(room)
        if lost and self._sink is not None:
            self._sink.on_gap(lost)

    async def _continues(self, key: str, position: str) -> bool:
        """Whether the stream still holds the entry we read last, with nothing trimmed after it.

        A restarted (emptied) Redis has lost that entry; a stream that was empty when we
        started reading it cannot be checked, so it counts as continued only if it exists.
        """
        room, _kind = self._streams[key]
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(room_key(room, "floor"))
            pipe.exists(key)
            pipe.xrange(key, min=position, max=position)
            floor, exists, at = await pipe.execute()
        trimmed, ours = cursor_key(_text(floor or ZERO_CURSOR)), cursor_key(position)
        if trimmed is not None and ours is not None and trimmed > ours:
            return False
        return bool(exists) if position == ZERO_CURSOR else bool(at)

    async def _read_once(self) -> None:
        streams: dict[Any, Any] = {self._wake: "$", **self._positions}
        reply: list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] | None = cast(
            Any, await self._reader_redis.xread(streams, block=READ_BLOCK_MS, count=500)
        )
        for raw_key, rows in reply or []:
            key = _text(raw_key)
            if key not in self._positions or not rows:
                continue
            self._positions[key] = _text(rows[-1][0])
            room, kind = self._streams[key]
            for entry_id, fields in rows:
                if kind == "events":
                    self._deliver(room, _entry(entry_id, fields))
                else:
                    self._notice(room, msgspec.msgpack.decode(fields[b"n"], type=_Notice))

    def _deliver(self, room: str, entry: Entry) -> None:
        if self._sink is not None:
            self._sink.on_event(room, entry)

    def _notice(self, room: str, notice: _Notice) -> None:
        if self._sink is None:
            return
        if notice.kind == "presence":
            self._sink.on_presence(room)
        elif notice.kind == "typing":
            self._sink.on_typing(room, notice.frame, notice.user_id)

    async def _announce(self, room: str, notice: _Notice) -> None:
        key = room_key(room, "live")
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, {"n": msgspec.msgpack.encode(notice)}, maxlen=LIVE_MAXLEN)
            pipe.expire(key, LIVE_TTL)
            await pipe.execute()

    # --- presence and typing -----------------------------------------------------------

    def _member(self, user: Actor) -> str:
        return f"{self._replica}|{user.id}|{user.username}"

    async def join(self, room: str, user: Actor) -> None:
        self._joined.setdefault(room, {})[str(user.id)] = user
        expiry = (time.time() + PRESENCE_TTL) * 1000
        key = room_key(room, "presence")
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {self._member(user): expiry})
            pipe.expire(key, LIVE_TTL)
            await pipe.execute()
        await self._announce(room, _Notice(kind="presence"))

    async def leave(self, room: str, user: Actor) -> None:
        users = self._joined.get(room, {})
        users.pop(str(user.id), None)
        if not users:
            self._joined.pop(room, None)
        await self._redis.zrem(room_key(room, "presence"), self._member(user))
        await self._announce(room, _Notice(kind="presence"))

    async def presence(self, room: str) -> list[Actor]:
        now = time.time() * 1000
        members = await self._redis.zrangebyscore(room_key(room, "presence"), now, "+inf")
        users: dict[str, Actor] = {}
        for member in members:
            _replica, uid, username = _text(member).split("|", 2)
            users[uid] = Actor(id=uuid.UUID(uid), username=username)
        return sorted_users(users)

    async def typing(self, room: str, frame: bytes, user_id: str) -> None:
        await self._announce(room, _Notice(kind="typing", frame=frame, user_id=user_id))

    async def _refresh_presence(self) -> None:
        """Keep our members alive; drop members whose replica stopped refreshing them."""
        while True:
            await asyncio.sleep(PRESENCE_REFRESH)
            now = time.time() * 1000
            for name in {room for room, _kind in self._streams.values()}:
                users = self._joined.get(name, {})
                key = room_key(name, "presence")
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        if users:
                            expiry = now + PRESENCE_TTL * 1000
                            pipe.zadd(key, {self._member(u): expiry for u in users.values()})
                        pipe.zremrangebyscore(key, "-inf", now)
                        *_, expired = await pipe.execute()
                    if expired:
                        await self._announce(name, _Notice(kind="presence"))
                except (RedisError, OSError) as exc:
                    logger.warning("presence refresh for %s: %s", name, exc)
