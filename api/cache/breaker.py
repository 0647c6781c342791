"""A circuit breaker for Redis: after a failure, skip Redis until a background probe succeeds.

Every call is bounded by `timeout` (socket timeouts alone can add up: connect plus read),
so no request waits more than about that long on Redis. While the breaker is open callers
skip Redis at once; one background task probes it every `cooldown` seconds and closes the
breaker only when the probe (which also replays what was missed) succeeds. The state change
is logged once each way, never per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Unavailable(Exception):
    """Redis was skipped or failed; the caller falls back to the database."""


class Breaker:
    def __init__(
        self,
        probe: Callable[[], Awaitable[None]],
        *,
        timeout: float,
        cooldown: float = 1.0,
    ) -> None:
        self._probe = probe
        self.timeout = timeout
        self.cooldown = cooldown
        # Bumped on every trip: a fill that read Redis before a trip must not store after it.
        self.trips = 0
        self._recovery: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._recovery is not None

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """`fn()` within the time bound, or `Unavailable` (tripping the breaker on failure)."""
        if self.is_open:
            raise Unavailable
        try:
            async with asyncio.timeout(self.timeout):
                return await fn()
        except (RedisError, OSError, TimeoutError) as exc:
            self.trip(exc)
            raise Unavailable from exc

    def trip(self, exc: BaseException) -> None:
        self.trips += 1
        if self._recovery is None:
            logger.warning("Redis unavailable (%r): serving from the database", exc)
            self._recovery = asyncio.get_running_loop().create_task(self._recover())

    async def _recover(self) -> None:
        while True:
            await asyncio.sleep(self.cooldown)
            try:
                async with asyncio.timeout(self.timeout * 10):
                    await self._probe()
            except (RedisError, OSError, TimeoutError):
                continue
            self._recovery = None
            logger.warning("Redis is back: cache in use again")
            return

    async def aclose(self) -> None:
        if self._recovery is not None:
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
            self._recovery = None
