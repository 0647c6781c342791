"""The cache-aside store: bytes in, bytes out, never stale after a write's response.

**The stale-set race and why generation counters.** A reader misses, reads the old rows,
then a writer commits and drops the key, then the reader's late SET puts the old body back
for a whole TTL. We use per-key generation counters, the Redis form of memcached's lease
tokens: the reader fetches the key *and* its generation in one MGET, reads the database,
then stores with a Lua compare-and-set that writes only if the generation is unchanged.
A drop deletes the key and increments its generation in one MULTI round trip, so any
reader that looked before the drop fails its compare-and-set and its old body never
lands. We chose counters over a lease key set on miss because they cost nothing on the hit
path (the MGET is the same single round trip as a GET) and need no lease expiry tuning;
a missing counter reads as "" and a restarted, empty Redis turns every pending
compare-and-set into a mismatch, which is the safe direction.

**Single flight.** Concurrent misses of one key in one process share one database read.
They share it only while they saw the same generation: a reader that arrives after a
write's drop sees a new generation and starts its own read, so it can never be handed a
body older than that write.

**Redis away.** Every call goes through a `Breaker` (≈100 ms bound, then skipped). A drop
that cannot be delivered is remembered (a set of keys, bounded by the number of projects
and users, not by the number of writes) and the breaker stays open until a background
probe has replayed all of them: nothing cached before or during the outage is served
after it. A fill that read Redis before any trip never stores. The memory of missed drops
is per process: another replica that still reaches Redis during a partial outage may serve
a dropped-too-late entry until this process's probe replays it (at most `cooldown`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import cast

from redis.asyncio import Redis

from api.cache.breaker import Breaker, Unavailable
from api.cache.keys import GENERATION_TTL, generation_key, keys_to_drop
from api.events import DomainEvent
from api.settings import Failpoints

Loader = Callable[[], Awaitable[bytes]]

# KEYS: value key, generation key. ARGV: generation read before the load, body, TTL.
_STORE_IF_GENERATION = """
if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


class _LeaderFailed(Exception):
    """The shared read failed or was cancelled; each waiter does its own."""


class CacheStore:
    def __init__(self, redis: Redis, *, timeout: float, failpoints: Failpoints) -> None:
        self._redis = redis
        self.breaker = Breaker(self._replay_missed, timeout=timeout)
        self._missed: set[str] = set()
        self._flights: dict[tuple[str, bytes | None], asyncio.Future[bytes]] = {}
        self._store_if_generation = redis.register_script(_STORE_IF_GENERATION)
        # Test-only fault injection (TASKROOM_FAILPOINTS): widen the reader's window
        # between its database read and its store; or store without the generation check
        # (the negative control that shows the race test can fail).
        self._fill_delay = failpoints.get("cache.fill_delay_ms") / 1000
        self._unguarded = bool(failpoints.get("cache.unguarded_fill"))

    async def get_or_fill(self, key: str, ttl: int, loader: Loader) -> bytes:
        """The cached body of `key`, or `loader()`'s, stored unless a drop came in between."""
        generation_of = generation_key(key)
        try:
            found = await self.breaker.call(lambda: self._redis.mget(key, generation_of))
        except Unavailable:
            return await loader()
        value, generation = cast(list[bytes | None], found)  # the client keeps raw bytes
        if value is not None:
            return value
        flight_key = (key, generation)
        if (flight := self._flights.get(flight_key)) is not None:
            try:
                return await asyncio.shield(flight)
            except _LeaderFailed:
                return await loader()
        return await self._lead(flight_key, ttl, loader)

    async def _lead(self, flight_key: tuple[str, bytes | None], ttl: int, loader: Loader) -> bytes:
        key, generation = flight_key
        trips = self.breaker.trips
        flight = asyncio.get_running_loop().create_future()
        self._flights[flight_key] = flight
        try:
            try:
                body = await loader()
            except BaseException:
                flight.set_exception(_LeaderFailed())
                flight.exception()  # retrieved: waiters are optional
                raise
            flight.set_result(body)
            if self._fill_delay:
                await asyncio.sleep(self._fill_delay)
            if trips == self.breaker.trips:
                await self._store(key, generation, body, ttl)
            return body
        finally:
            if self._flights.get(flight_key) is flight:
                del self._flights[flight_key]

    async def _store(self, key: str, generation: bytes | None, body: bytes, ttl: int) -> None:
        try:
            if self._unguarded:
                await self.breaker.call(lambda: self._redis.set(key, body, ex=ttl))
            else:
                await self.breaker.call(
                    lambda: self._store_if_generation(
                        keys=[key, generation_key(key)], args=[generation or b"", body, ttl]
                    )
                )
        except Unavailable:
            pass

    async def on_events(self, events: Sequence[DomainEvent]) -> None:
        """The dispatcher effect: drop what a committed batch touched (keys.DROPS)."""
        await self.drop(keys_to_drop(events))

    async def drop(self, keys: Collection[str]) -> None:
        """Delete `keys` and bump their generations in one round trip, or remember them."""
        if not keys:
            return
        if self.breaker.is_open:
            self._missed.update(keys)
            return
        try:
            await self.breaker.call(lambda: self._drop_now(keys))
        except Unavailable:
            self._missed.update(keys)

    async def _drop_now(self, keys: Collection[str]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(*keys)
            for key in keys:
                pipe.incr(generation_key(key))
                pipe.expire(generation_key(key), GENERATION_TTL)
            await pipe.execute()

    async def _replay_missed(self) -> None:
        """The breaker's probe: deliver every missed drop; raises while Redis is still away."""
        await self._redis.ping()
        while self._missed:
            keys = list(self._missed)
            await self._drop_now(keys)
            self._missed.difference_update(keys)

    async def reachable(self) -> bool:
        """For /health: a closed breaker and a PING within the bound."""
        try:
            await self.breaker.call(self._redis.ping)
        except Unavailable:
            return False
        return True

    async def aclose(self) -> None:
        await self.breaker.aclose()
