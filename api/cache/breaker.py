"""A circuit breaker for Redis: after failures, skip Redis until a background probe succeeds.

Every call is bounded by `timeout` (socket timeouts alone can add up: connect plus read),
so no request waits more than about that long on Redis. A refused or broken connection
trips the breaker at once, and so does any failure of a `critical` call (a drop that did
not arrive must keep the cache out of use). A timed-out read trips it only as the
`timeouts_to_trip`-th in a row, and is not counted at all when the event loop is busy:
under CPU saturation the loop itself makes calls late while Redis is fine, and opening
then would send every read to the far slower database and feed the overload. While open,
callers skip Redis at once; one background task probes it every `cooldown` seconds and
closes the breaker only when the probe (which also replays what was missed) succeeds.
Each change of state is logged once, never per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

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
        timeouts_to_trip: int = 3,
    ) -> None:
        self._probe = probe
        self.timeout = timeout
        self.cooldown = cooldown
        self.timeouts_to_trip = timeouts_to_trip
        self._timeouts = 0  # consecutive timed-out calls
        self._recovery: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._recovery is not None

    async def call(self, fn: Callable[[], Awaitable[T]], *, critical: bool = False) -> T:
        """`fn()` within the time bound, or `Unavailable` (and maybe a trip) on failure."""
        if self.is_open:
            raise Unavailable
        try:
            async with asyncio.timeout(self.timeout):
                result = await fn()
        except (RedisTimeoutError, TimeoutError) as exc:
            if critical:
                self.trip(exc)
            elif not await self._loop_is_busy():
                self._timeouts += 1
                if self._timeouts >= self.timeouts_to_trip:
                    self.trip(exc)
            raise Unavailable from exc
        except (RedisError, OSError) as exc:
            self.trip(exc)
            raise Unavailable from exc
        self._timeouts = 0
        return result

    async def _loop_is_busy(self) -> bool:
        """Whether this process, not Redis, made a call late: one loop turn takes a while."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(0)
        return loop.time() - start > self.timeout / 5

    def trip(self, exc: BaseException) -> None:
        self._timeouts = 0
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
