"""Cached reads (contract §4): Redis cache-aside when Redis is configured.

Without `TASKROOM_REDIS_URL` the runtime's cache is `NoCache` and reads go straight to the
database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

from api.cache.store import CacheStore, Loader
from api.runtime import REDIS_SOCKET_TIMEOUT, Core, make_redis
from api.settings import Settings

__all__ = ["CacheStore", "NoCache", "ReadCache", "install", "make_store"]

MemberView = Callable[[bytes, uuid.UUID], bytes]


class ReadCache(Protocol):
    """What the hot reads ask of a cache (`api.domain.projects.reads`)."""

    async def get_or_fill(self, key: str, ttl: int, loader: Loader) -> bytes: ...

    def member_view(self, shared: bytes, user_id: uuid.UUID, make: MemberView) -> bytes: ...

    async def reachable(self) -> bool: ...


class NoCache:
    """No Redis: every read is a fill, every view made afresh."""

    async def get_or_fill(self, key: str, ttl: int, loader: Loader) -> bytes:
        return await loader()

    def member_view(self, shared: bytes, user_id: uuid.UUID, make: MemberView) -> bytes:
        return make(shared, user_id)

    async def reachable(self) -> bool:
        return False


# The cache's own client leaves the ~100 ms bound to its breaker, which counts it in Redis's
# time (breaker.py); a socket timeout here is only the hard ceiling.
SOCKET_CEILING = 1.0


def make_store(settings: Settings, redis_url: str) -> tuple[CacheStore, Redis]:
    """The store and its own client; the worker uses it too, to drop what its writes touch
    (an import's tasks)."""
    # Failpoint `redis.timeout_ms=N`: a looser bound, for functional tests on a loaded machine.
    timeout = settings.failpoints.get("redis.timeout_ms") / 1000 or REDIS_SOCKET_TIMEOUT
    ceiling = max(SOCKET_CEILING, timeout)
    redis = make_redis(redis_url, socket_timeout=ceiling, socket_connect_timeout=ceiling)
    return CacheStore(redis, timeout=timeout, failpoints=settings.failpoints), redis


async def install(core: Core) -> ReadCache:
    """The runtime's cache: with Redis a store whose keys each commit drops."""
    settings = core.settings
    if settings.redis_url is None:
        return NoCache()
    store, redis = make_store(settings, settings.redis_url)
    core.dispatcher.register(store.on_events)
    core.closers.append(redis.aclose)  # closers run last-first: the store goes first
    core.closers.append(store.aclose)
    return store
