"""Prometheus metrics (contract §11): every metric Taskroom keeps, defined here once.

Off unless `TASKROOM_METRICS=1` (the API) or `taskroom worker --metrics-port N`. While off,
every name below is `OFF`, whose methods do nothing: a hook costs one empty call, no metric
exists and no route serves them. `enable()` puts prometheus_client's metrics in their place,
in its default registry. Hooks therefore read them through the module at call time
(`metrics.CACHE_HITS.inc()`), never by importing the names.

With several server processes (`taskroom serve --workers N`) prometheus_client runs in its
multiprocess mode: `serve` gives the processes one `PROMETHEUS_MULTIPROC_DIR`, each writes
its values there, and a scrape, whichever process answers it, adds them all up (Litestar's
`PrometheusController` reads the folder). The gauges say how: sockets and subscribers are
summed over the live processes, the breaker reads 1 while any process has it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from litestar.config.app import AppConfig
from litestar.connection import Request
from litestar.enums import ScopeType
from litestar.plugins import InitPluginProtocol
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter, Gauge, Histogram, multiprocess

from api.domain.exports.launcher import QueueLauncher
from api.events import DomainEvent

if TYPE_CHECKING:
    from api.runtime import Core, Runtime

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
QUEUE_READ_TIMEOUT = 0.5  # seconds a scrape waits for the queue's length


class _Off:
    """Stands in for every metric while metrics are off."""

    def labels(self, *values: object) -> _Off:
        return self

    def inc(self, amount: float = 1) -> None:
        """Nothing to count."""

    def dec(self, amount: float = 1) -> None:
        """Nothing to count."""

    def set(self, value: float) -> None:
        """Nothing to keep."""

    def observe(self, amount: float) -> None:
        """Nothing to keep."""


# Typed Any so that each name below keeps its metric's type for the code that uses it.
OFF: Any = _Off()

WEBSOCKETS: Gauge = OFF
ROOM_SUBSCRIBERS: Gauge = OFF
EVENTS_PUBLISHED: Counter = OFF
EVENTS_DELIVERED: Counter = OFF
EVENT_LAG: Histogram = OFF
CACHE_HITS: Counter = OFF
CACHE_MISSES: Counter = OFF
BREAKER_OPEN: Gauge = OFF
QUEUE_DEPTH: Gauge = OFF
JOB_DURATION: Histogram = OFF
JOB_FAILURES: Counter = OFF


def enabled() -> bool:
    return WEBSOCKETS is not OFF


def enable() -> None:
    """Create the metrics, once per process."""
    global WEBSOCKETS, ROOM_SUBSCRIBERS, EVENTS_PUBLISHED, EVENTS_DELIVERED, EVENT_LAG
    global CACHE_HITS, CACHE_MISSES, BREAKER_OPEN, QUEUE_DEPTH, JOB_DURATION, JOB_FAILURES
    if enabled():
        return
    WEBSOCKETS = Gauge(
        "taskroom_websockets_open", "Open, authenticated websockets", multiprocess_mode="livesum"
    )
    ROOM_SUBSCRIBERS = Gauge(
        "taskroom_room_subscribers",
        "Subscriptions of open sockets to rooms",
        multiprocess_mode="livesum",
    )
    EVENTS_PUBLISHED = Counter(
        "taskroom_events_published_total", "Committed domain events handed to rooms", ["event"]
    )
    EVENTS_DELIVERED = Counter(
        "taskroom_events_delivered_total", "Event frames queued to subscribed sockets"
    )
    EVENT_LAG = Histogram(
        "taskroom_event_delivery_lag_seconds",
        "From an event's append to its room's stream, just after the commit, to its hand-off "
        "to this replica's sockets",
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, float("inf")),
    )
    CACHE_HITS = Counter("taskroom_cache_hits_total", "Cached reads answered from the cache")
    CACHE_MISSES = Counter(
        "taskroom_cache_misses_total", "Cached reads the database answered (absent, Redis away)"
    )
    BREAKER_OPEN = Gauge(
        "taskroom_redis_breaker_open",
        "1 while the cache's Redis circuit breaker is open",
        multiprocess_mode="livemax",
    )
    QUEUE_DEPTH = Gauge(
        "taskroom_queue_depth", "Export jobs waiting in the queue", multiprocess_mode="mostrecent"
    )
    JOB_DURATION = Histogram(
        "taskroom_job_duration_seconds",
        "Worker job attempts, by function and outcome",
        ["function", "outcome"],
        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, float("inf")),
    )
    JOB_FAILURES = Counter(
        "taskroom_job_failures_total", "Worker job attempts that raised", ["function"]
    )


async def _refresh(request: Request[Any, Any, Any]) -> None:
    """Before a scrape: what is read, not counted (the queue lives in Redis)."""
    runtime: Runtime = request.app.state.runtime
    if isinstance(runtime.exports, QueueLauncher):
        with contextlib.suppress(Exception):  # Redis away: the last value stands
            queue = runtime.exports.queue
            QUEUE_DEPTH.set(await asyncio.wait_for(queue.count("queued"), QUEUE_READ_TIMEOUT))


class MetricsController(PrometheusController):
    """`GET /metrics` for the scraper: no token (keep it inside the network), not in the docs."""

    include_in_schema = False
    opt = {"exclude_from_auth": True}
    before_request = staticmethod(_refresh)


class MetricsPlugin(InitPluginProtocol):
    """`TASKROOM_METRICS=1`: Litestar's Prometheus middleware (requests by route) and /metrics."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        enable()
        config = PrometheusConfig(
            app_name="taskroom",
            prefix="taskroom",
            group_path=True,  # label by route template, not by raw path: bounded series
            scopes={ScopeType.HTTP},  # sockets have their own gauge; no duration to time
        )
        # Inside the token check: a request it refuses raises past this middleware, which
        # would count it as a 200; those refusals are left out rather than miscounted.
        app_config.middleware.append(config.middleware)
        app_config.route_handlers.append(MetricsController)
        return app_config


async def install(core: Core) -> None:
    """Count committed events; in multiprocess mode, drop this process's live gauges at exit."""
    if not core.settings.metrics:
        return

    async def published(events: Sequence[DomainEvent]) -> None:
        for event in events:
            EVENTS_PUBLISHED.labels(event.name).inc()

    core.dispatcher.register(published)
    if MULTIPROCESS_DIR in os.environ:
        pid = os.getpid()

        async def process_gone() -> None:
            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]

        core.closers.append(process_gone)
