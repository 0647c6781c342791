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

**A copy in process memory.** A hit on a large body (a 1 000-task project is ~600 KB)
would move the whole body out of Redis on every request. So each process also keeps the
bodies it has seen, tagged with the generation they were read at (`LocalCopies`). A
request then asks Redis only whether the key still exists and what its generation is (a
few bytes) and serves the local bytes when both hold, so TTLs and deletions apply as
before. This is exactly as fresh as the Redis copy: every drop bumps the generation, so a
write on any replica retires every process's copy at once; while the breaker is open
nothing local is served (the database answers), and the replay of missed drops bumps the
generations before the breaker closes again.

**One round trip for many requests** (`Checks`). Those questions are asked together: the
requests that reach the check in one turn of the event loop share one pipelined round
trip, and requests for the same key share one answer. The round trip is sent after every
request in it arrived, so each still sees every write that finished before it started;
a per-request round trip would cost more than the rest of a hit together.

**Redis away.** Every call goes through a `Breaker` (≈100 ms bound, then skipped). A drop
that cannot be delivered is remembered (a set of keys, bounded by the number of projects
and users, not by the number of writes) and the breaker stays open until a background
probe has replayed all of them: nothing cached before or during the outage is served
after it. A fill that read its generation before a missed drop cannot store either: its
store waits for the closed breaker, so the replay has bumped the generation first (and an
emptied, restarted Redis reads as "", never an old number). The memory of missed drops
is per process: another replica that still reaches Redis during a partial outage may serve
a dropped-too-late entry until this process's probe replays it (at most `cooldown`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from functools import partial
from typing import cast

from cachetools import TLRUCache
from redis.asyncio import Redis

from api import metrics
from api.cache.breaker import Breaker, Unavailable
from api.cache.keys import GENERATION_TTL, generation_key, keys_to_drop
from api.cache.views import Views
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


class LocalCopies:
    """Bodies this process has read, by key, with their generation; least recently used go first.

    Bounded by total bytes, and each copy lives no longer than its key's TTL (cachetools' TLRU).
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        # key → (generation, body, expiry on the monotonic clock)
        self._copies: TLRUCache[str, tuple[bytes | None, bytes, float]] = TLRUCache(
            max_bytes, ttu=_expiry, timer=time.monotonic, getsizeof=_body_size
        )

    def get(self, key: str) -> tuple[bytes | None, bytes] | None:
        copy = self._copies.get(key)
        return None if copy is None else (copy[0], copy[1])

    def put(self, key: str, generation: bytes | None, body: bytes, ttl: int) -> None:
        if len(body) > self._copies.maxsize // 4:
            self._copies.pop(key, None)
            return
        self._copies[key] = (generation, body, time.monotonic() + ttl)


def _expiry(_key: str, copy: tuple[bytes | None, bytes, float], _now: float) -> float:
    return copy[2]


def _body_size(copy: tuple[bytes | None, bytes, float]) -> int:
    return len(copy[1])


KeyState = tuple[bool, bytes | None]  # whether the key exists, its generation


class Checks:
    """Asks Redis for keys' states: one pipelined round trip at a time, for all who wait.

    Requests queue their keys while a round trip is out; the next one asks for all of them
    (one question per distinct key), so it is sent after every request in it arrived and each
    answer is read after its request started. Under load a round trip answers many requests;
    when idle a request waits only for its own. When a round trip fails or times out, the
    requests queued behind it fail too, so none waits on Redis for more than one bound.
    """

    def __init__(self, redis: Redis, breaker: Breaker) -> None:
        self._redis = redis
        self._breaker = breaker
        self._waiting: dict[str, list[asyncio.Future[KeyState]]] = {}
        self._sender: asyncio.Task[None] | None = None

    async def current(self, key: str) -> KeyState:
        """`key`'s state in Redis now; `Unavailable` when Redis is skipped or failing."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[KeyState] = loop.create_future()
        self._waiting.setdefault(key, []).append(answer)
        if self._sender is None:
            self._sender = loop.create_task(self._send())
        return await answer

    async def _send(self) -> None:
        batch: dict[str, list[asyncio.Future[KeyState]]] = {}
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    states = await self._breaker.call(partial(self._ask, list(batch)))
                except Unavailable:
                    break  # those queued behind fail with it (finally)
                for waiters, state in zip(batch.values(), states, strict=True):
                    _settle(waiters, state)
        finally:
            self._sender = None
            for waiters in (*batch.values(), *self._waiting.values()):
                _settle(waiters, Unavailable())  # skips the answered
            self._waiting = {}

    async def aclose(self) -> None:
        """At shutdown: stop the round trip in flight (its requests fail over to the database)."""
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender

    async def _ask(self, keys: list[str]) -> list[KeyState]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.exists(key)
                pipe.get(generation_key(key))
            replies = await pipe.execute()
        return [(bool(replies[i]), replies[i + 1]) for i in range(0, len(replies), 2)]


def _settle(waiters: list[asyncio.Future[KeyState]], outcome: KeyState | Exception) -> None:
    for answer in waiters:
        if answer.done():
            continue  # its request was cancelled
        if isinstance(outcome, Exception):
            answer.set_exception(outcome)
        else:
            answer.set_result(outcome)


class _LeaderFailed(Exception):
    """The shared read failed or was cancelled; each waiter does its own."""


class CacheStore:
    def __init__(self, redis: Redis, *, timeout: float, failpoints: Failpoints) -> None:
        self._redis = redis
        self.breaker = Breaker(self._replay_missed, timeout=timeout)
        self._missed: set[str] = set()
        self._flights: dict[tuple[str, bytes | None], asyncio.Future[bytes]] = {}
        self._local = LocalCopies()
        self._checks = Checks(redis, self.breaker)
        self.views = Views()
        self._store_if_generation = redis.register_script(_STORE_IF_GENERATION)
        # Test-only fault injection (TASKROOM_FAILPOINTS): widen the reader's window
        # between its database read and its store; or store without the generation check
        # (the negative control that shows the race test can fail).
        self._fill_delay = failpoints.get("cache.fill_delay_ms") / 1000
        self._unguarded = bool(failpoints.get("cache.unguarded_fill"))

    async def get_or_fill(self, key: str, ttl: int, loader: Loader) -> bytes:
        """The cached body of `key`, or `loader()`'s, stored unless a drop came in between."""
        try:
            if (local := self._local.get(key)) is not None:
                generation, body = local
                if await self._checks.current(key) == (True, generation):
                    metrics.CACHE_HITS.inc()
                    return body
            found = await self.breaker.call(lambda: self._redis.mget(key, generation_key(key)))
        except Unavailable:
            metrics.CACHE_MISSES.inc()
            return await loader()
        value, generation = cast(list[bytes | None], found)  # the client keeps raw bytes
        if value is not None:
            self._local.put(key, generation, value, ttl)
            metrics.CACHE_HITS.inc()
            return value
        metrics.CACHE_MISSES.inc()
        flight_key = (key, generation)
        if (flight := self._flights.get(flight_key)) is not None:
            try:
                return await asyncio.shield(flight)
            except _LeaderFailed:
                return await loader()
        return await self._lead(flight_key, ttl, loader)

    async def _lead(self, flight_key: tuple[str, bytes | None], ttl: int, loader: Loader) -> bytes:
        key, generation = flight_key
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
            await self._store(key, generation, body, ttl)
            self._local.put(key, generation, body, ttl)
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
            await self.breaker.call(lambda: self._drop_now(keys), critical=True)
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

    def member_view(
        self, shared: bytes, user_id: uuid.UUID, make: Callable[[bytes, uuid.UUID], bytes]
    ) -> bytes:
        """One member's view of a shared body, made once per body object (`views.py`)."""
        return self.views.get(shared, user_id, make)

    async def reachable(self) -> bool:
        """For /health: a closed breaker and a PING within the bound."""
        try:
            await self.breaker.call(self._redis.ping)
        except Unavailable:
            return False
        return True

    async def aclose(self) -> None:
        await self._checks.aclose()
        await self.breaker.aclose()
