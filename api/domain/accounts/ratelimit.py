"""Login rate limit: 10 failures a minute per username or per address.

With Redis the counters live there (shared by every replica); without it, in-process.
Only failures count; while a limit holds every login for that name or address gets 429.
"""

from __future__ import annotations

import time
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
        q = self._failures[key]
        while q and q[0] <= now - WINDOW_SECONDS:
            q.popleft()
        return len(q)

    async def blocked(self, keys: list[str]) -> bool:
        now = time.monotonic()
        return any(self._count(k, now) >= LIMIT for k in keys)

    async def record_failure(self, keys: list[str]) -> None:
        now = time.monotonic()
        for k in keys:
            self._failures[k].append(now)


class RedisLoginLimiter:
    """Fixed one-minute windows in Redis; if Redis is unreachable, fall back to memory."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._fallback = MemoryLoginLimiter()

    @staticmethod
    def _key(k: str) -> str:
        return f"v1:ratelimit:login:{k}:{int(time.time() // WINDOW_SECONDS)}"

    async def blocked(self, keys: list[str]) -> bool:
        try:
            values = await self._redis.mget([self._key(k) for k in keys])
        except Exception:
            return await self._fallback.blocked(keys)
        return any(v is not None and int(v) >= LIMIT for v in values)

    async def record_failure(self, keys: list[str]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for k in keys:
                    pipe.incr(self._key(k))
                    pipe.expire(self._key(k), WINDOW_SECONDS * 2)
                await pipe.execute()
        except Exception:
            await self._fallback.record_failure(keys)
