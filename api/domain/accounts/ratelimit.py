"""Login rate limit: 10 failures a minute per username or per address.

With Redis the counters live there (shared by every replica); without it, in-process.
Only failures count; while a limit holds every login for that name or address gets 429.
Both keep a sliding window (timestamps of the failures of the last minute), so a burst
that straddles a minute boundary is still counted whole.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict, deque
from typing import Protocol

from redis.asyncio import Redis

LIMIT = 10
WINDOW_SECONDS = 60


class LoginLimiter(Protocol):
    async def blocked(self, keys: list[str]) -> bool: ...
    async def record_failure(self, keys: list[str]) -> None: ...


class MemoryLoginLimiter:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _count(self, key: str, now: float) -> int:
        q = self._failures.get(key)
        if q is None:
            return 0
        while q and q[0] <= now - WINDOW_SECONDS:
            q.popleft()
        if not q:  # forget quiet keys, so random usernames cannot grow the map forever
            del self._failures[key]
        return len(q)

    async def blocked(self, keys: list[str]) -> bool:
        now = time.monotonic()
        return any(self._count(k, now) >= LIMIT for k in keys)

    async def record_failure(self, keys: list[str]) -> None:
        now = time.monotonic()
        for k in keys:
            self._failures[k].append(now)


class RedisLoginLimiter:
    """A sorted set of failure times per key; if Redis is unreachable, fall back to memory."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._fallback = MemoryLoginLimiter()

    @staticmethod
    def _key(k: str) -> str:
        return f"v1:ratelimit:login:{k}"

    async def blocked(self, keys: list[str]) -> bool:
        since = time.time() - WINDOW_SECONDS
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for k in keys:
                    pipe.zcount(self._key(k), since, "+inf")
                counts = await pipe.execute()
        except Exception:
            return await self._fallback.blocked(keys)
        return any(int(n) >= LIMIT for n in counts)

    async def record_failure(self, keys: list[str]) -> None:
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for k in keys:
                    key = self._key(k)
                    pipe.zadd(key, {uuid.uuid4().hex: now})
                    pipe.zremrangebyscore(key, "-inf", now - WINDOW_SECONDS)
                    pipe.expire(key, WINDOW_SECONDS)
                await pipe.execute()
        except Exception:
            await self._fallback.record_failure(keys)
