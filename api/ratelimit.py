"""Rate limits: at most `limit` events per key within a sliding window of `window` seconds.

Used for failed logins (10 a minute per username or address, contract §3), registrations per
address, exports per user and project, and comments per user. With Redis the counters live
there (shared by every replica); without it, in-process. Both keep the times of the window's
events, so a burst that straddles a window boundary is still counted whole, and `Retry-After`
is exact.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from api.domain.errors import TooMany


@dataclass(frozen=True)
class Rule:
    name: str  # part of the Redis key
    limit: int  # 0 = no limit
    window: float  # seconds


LOGIN_FAILURES = Rule("login", 10, 60)  # per username and per address (contract §3)
EXPORTS = Rule("export", 10, 60)  # exports queued per user and project
COMMENTS = Rule("comment", 30, 60)  # comments posted per user, any task


class Limiter(Protocol):
    rule: Rule

    async def retry_after(self, keys: list[str]) -> int:
        """Seconds until every key may count one more event; 0 when they may now."""

    async def record(self, keys: list[str]) -> None: ...


async def enforce(limiter: Limiter, keys: list[str], detail: str) -> None:
    """429 with `Retry-After` while the limit holds for any of `keys`."""
    if wait := await limiter.retry_after(keys):
        raise TooMany(detail, headers={"Retry-After": str(wait)})


def _wait(times: Iterable[float], rule: Rule, now: float) -> int:
    """When the event that keeps the count at the limit leaves the window (whole seconds)."""
    recent = sorted(t for t in times if t > now - rule.window)
    if not rule.limit or len(recent) < rule.limit:
        return 0
    return max(1, math.ceil(recent[len(recent) - rule.limit] + rule.window - now))


class MemoryLimiter:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._events.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.rule.window:
            q.popleft()
        if not q:  # forget quiet keys, so random usernames cannot grow the map forever
            del self._events[key]
        return q

    async def retry_after(self, keys: list[str]) -> int:
        now = time.monotonic()
        return max((_wait(self._recent(k, now), self.rule, now) for k in keys), default=0)

    async def record(self, keys: list[str]) -> None:
        now = time.monotonic()
        for k in keys:
            self._events[k].append(now)


class RedisLimiter:
    """A sorted set of event times per key; if Redis is unreachable, fall back to memory."""

    def __init__(self, redis: Redis, rule: Rule) -> None:
        self.rule = rule
        self._redis = redis
        self._fallback = MemoryLimiter(rule)

    def _key(self, k: str) -> str:
        return f"v1:ratelimit:{self.rule.name}:{k}"

    async def retry_after(self, keys: list[str]) -> int:
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for k in keys:
                    pipe.zrangebyscore(
                        self._key(k), now - self.rule.window, "+inf", withscores=True
                    )
                replies = await pipe.execute()
        except Exception:
            return await self._fallback.retry_after(keys)
        return max(
            (_wait((score for _m, score in rows), self.rule, now) for rows in replies), default=0
        )

    async def record(self, keys: list[str]) -> None:
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for k in keys:
                    key = self._key(k)
                    pipe.zadd(key, {uuid.uuid4().hex: now})
                    pipe.zremrangebyscore(key, "-inf", now - self.rule.window)
                    pipe.expire(key, math.ceil(self.rule.window))
                await pipe.execute()
        except Exception:
            await self._fallback.record(keys)


def make_limiter(redis: Redis | None, rule: Rule) -> Limiter:
    return RedisLimiter(redis, rule) if redis is not None else MemoryLimiter(rule)
