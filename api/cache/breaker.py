"""A circuit breaker for Redis: after failures, skip Redis until a background probe succeeds.

Every call is bounded by `timeout` (socket timeouts alone can add up: connect plus read), so
no request waits more than about that long on Redis. The bound is counted in Redis's time,
not in this process's: a ticker measures how late the event loop runs (`LoopLag`) and the
bound grows by a few times that lag. Under CPU saturation the loop itself makes every call
late while Redis is fine, and treating that as a Redis failure would send every read to the
far slower database and feed the overload. A refused or broken connection trips the breaker
at once, and so does any failure of a `critical` call (a drop that did not arrive must keep
the cache out of use). A timed-out read only sends that one request to the database: under
saturation, tripping on it would send every read there. While open, callers skip Redis at
once; one background task probes it every `cooldown` seconds and closes the breaker only
when the probe (which also replays what was missed) succeeds. Each change of state is logged
once, never per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api import metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A call takes a few loop turns (send, receive, resume), each as late as the loop runs.
LAG_FACTOR = 4


class Unavailable(Exception):
    """Redis was skipped or failed; the caller falls back to the database."""


class LoopLag:
    """How late this process's event loop runs, from a ticker that notes each late wake-up.

    The figure decays by half each tick, so a burst of load is forgotten within a few ticks.
    """

    def __init__(self, tick: float = 0.02) -> None:
        self.tick = tick
        self.seconds = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.tick)
            late = loop.time() - start - self.tick
            self.seconds = max(late, self.seconds / 2)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


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
        self._recovery: asyncio.Task[None] | None = None
        self.lag = LoopLag()

    @property
    def is_open(self) -> bool:
        return self._recovery is not None

    async def call(self, fn: Callable[[], Awaitable[T]], *, critical: bool = False) -> T:
        """`fn()` within the time bound, or `Unavailable` (and maybe a trip) on failure."""
        if self.is_open:
            raise Unavailable
        self.lag.start()
        try:
            async with asyncio.timeout(self.timeout + LAG_FACTOR * self.lag.seconds):
                result = await fn()
        except (RedisTimeoutError, TimeoutError) as exc:
            if critical:
                self.trip(exc)
            raise Unavailable from exc
        except (RedisError, OSError) as exc:
            self.trip(exc)
            raise Unavailable from exc
        return result

    def trip(self, exc: BaseException) -> None:
        if self._recovery is None:
            logger.warning("Redis unavailable (%r): serving from the database", exc)
            metrics.BREAKER_OPEN.set(1)
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
            metrics.BREAKER_OPEN.set(0)
            logger.warning("Redis is back: cache in use again")
            return

    async def aclose(self) -> None:
        await self.lag.aclose()
        if self._recovery is not None:
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
            self._recovery = None
