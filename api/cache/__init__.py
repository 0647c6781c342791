"""Cached reads (contract §4): Redis cache-aside, installed only when Redis is configured.

Without `TASKROOM_REDIS_URL` nothing here runs and reads go straight to the database.
"""

from __future__ import annotations

from api.cache.store import CacheStore
from api.runtime import REDIS_SOCKET_TIMEOUT, Runtime

__all__ = ["CacheStore", "install"]


async def install(runtime: Runtime) -> None:
    """Hook the cache into the runtime: reads use `runtime.cache`, commits drop keys."""
    if runtime.redis is None:
        return
    timeout = runtime.redis.connection_pool.connection_kwargs.get("socket_timeout")
    store = CacheStore(
        runtime.redis,
        timeout=timeout or REDIS_SOCKET_TIMEOUT,
        failpoints=runtime.settings.failpoints,
    )
    runtime.cache = store
    runtime.dispatcher.register(store.on_events)
    runtime.closers.append(store.aclose)
