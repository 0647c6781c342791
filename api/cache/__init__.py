"""Cached reads (contract §4): Redis cache-aside, installed only when Redis is configured.

Without `TASKROOM_REDIS_URL` nothing here runs and reads go straight to the database.
"""

from __future__ import annotations

from redis.asyncio import Redis

from api.cache.store import CacheStore
from api.runtime import REDIS_SOCKET_TIMEOUT, Runtime, make_redis
from api.settings import Settings

__all__ = ["CacheStore", "install", "make_store"]


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


async def install(runtime: Runtime) -> None:
    """Hook the cache into the runtime: reads use `runtime.cache`, commits drop keys."""
    settings = runtime.settings
    if settings.redis_url is None:
        return
    store, redis = make_store(settings, settings.redis_url)
    runtime.cache = store
    runtime.dispatcher.register(store.on_events)
    runtime.closers.append(redis.aclose)  # closers run last-first: the store goes first
    runtime.closers.append(store.aclose)
