"""Prometheus metrics (contract §11) from real servers: they exist only when asked for, and they
move by exactly what the requests, sockets, events and jobs did.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live import connected, room
from tests.support import (
    RedisServer,
    Server,
    free_port,
    postgres_database,
    register,
    rmtree,
    server_env,
    wait_until,
)
from tests.test_export_worker import WorkerProcess, start_export
from tests.test_exports import TRICKY, finished, make_project

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    r = httpx.get(f"{url}/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def route(method: str, path: str, status: int) -> dict[str, str]:
    """The labels of one route's request series (Litestar's Prometheus middleware)."""
    return {"app_name": "taskroom", "method": method, "path": path, "status_code": str(status)}


def status_on_a_new_connection(url: str) -> int:
    return httpx.get(url, timeout=10).status_code


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@dataclass
class Stack:
    env: dict[str, str]
    redis: RedisServer
    server: Server


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """`taskroom serve` with TASKROOM_METRICS=1, PostgreSQL and a Redis of the module's own."""
    data = Path(tempfile.mkdtemp(prefix="taskroom-test-metrics-"))
    redis_server = RedisServer().start()
    with postgres_database() as database_url:
        env = server_env(data, database_url, redis_server.url, TASKROOM_METRICS="1")
        server = Server(env).start()
        yield Stack(env, redis_server, server)
        server.stop()
    redis_server.stop()
    rmtree(data)


async def test_requests_sockets_events_and_cache_are_counted(stack: Stack) -> None:
    url = stack.server.url
    owner = register(url)
    before = scrape(url)
    project = owner.client.post("/api/projects", json={"name": "Metrics"}).json()["id"]
    for _ in range(2):  # the first read fills the cache, the second is served from it
        assert owner.client.get(f"/api/projects/{project}").status_code == 200
    async with connected(stack.server.ws_url, owner.token) as (live,):
        assert (await live.subscribe(room(project)))["type"] == "subscribed"
        during = scrape(url)
        assert moved(before, during, "taskroom_websockets_open") == 1
        assert moved(before, during, "taskroom_room_subscribers") == 1
        r = owner.client.post(f"/api/projects/{project}/tasks", json={"title": "Counted"})
        assert r.status_code == 201
        await live.events(1)
        after = scrape(url)

    assert moved(before, after, "taskroom_events_published_total", event="project:created") == 1
    assert moved(before, after, "taskroom_events_published_total", event="task:created") == 1
    assert moved(before, after, "taskroom_events_delivered_total") == 1
    assert moved(before, after, "taskroom_event_delivery_lag_seconds_count") == 1
    assert moved(before, after, "taskroom_event_delivery_lag_seconds_sum") >= 0
    assert moved(before, after, "taskroom_cache_misses_total") == 1
    assert moved(before, after, "taskroom_cache_hits_total") == 1
    # By route template, never by the raw path (one series per route, not per project).
    detail = route("GET", "/api/projects/{project_id}", 200)
    assert moved(before, after, "taskroom_requests_total", **detail) == 2
    created = route("POST", "/api/projects", 201)
    assert moved(before, after, "taskroom_requests_total", **created) == 1
    task = route("POST", "/api/projects/{project_id}/tasks", 201)
    assert moved(before, after, "taskroom_requests_total", **task) == 1
    assert moved(before, after, "taskroom_request_duration_seconds_count", **detail) == 2
    assert moved(before, after, "taskroom_request_duration_seconds_sum", **detail) > 0
    assert not [key for key in after if any(project in v for _, v in key[1])]
    assert value(after, "taskroom_redis_breaker_open") == 0

    def closed() -> Samples | None:
        now = scrape(url)
        gone = value(now, "taskroom_websockets_open") == value(before, "taskroom_websockets_open")
        return now if gone else None

    now = wait_until(closed, what="the socket to be counted closed")
    assert value(now, "taskroom_room_subscribers") == value(before, "taskroom_room_subscribers")
    owner.close()


async def test_several_processes_report_one_sum(stack: Stack) -> None:
    """`serve --workers 2`: whichever process answers a scrape, it counts them all."""
    server = Server(stack.env, extra_args=["--workers", "2"]).start()
    try:
        owner = register(server.url)
        health = route("GET", "/health", 200)
        before = value(scrape(server.url), "taskroom_requests_total", **health)
        for _ in range(20):  # a connection each: the processes take turns at accepting
            assert status_on_a_new_connection(f"{server.url}/health") == 200
        async with connected(server.ws_url, *[owner.token] * 4) as lives:
            for live in lives:  # answered: the socket is past its checks, in the hub
                await live.send(type="ping")
                await live.expect("pong")
            for _ in range(6):
                samples = scrape(server.url)
                assert value(samples, "taskroom_requests_total", **health) == before + 20
                assert value(samples, "taskroom_websockets_open") == 4
        owner.close()
    finally:
        server.stop()


def test_worker_serves_job_metrics_after_a_real_export(stack: Stack) -> None:
    url = stack.server.url
    owner = register(url)
    export_id = start_export(owner, make_project(owner, TRICKY))
    wait_until(  # no worker yet: the job waits in the queue
        lambda: value(scrape(url), "taskroom_queue_depth") == 1, what="the queued job"
    )
    port = free_port()
    worker = WorkerProcess(
        {**stack.env, "TASKROOM_FAILPOINTS": "export.fail_attempts=1"},
        extra_args=["--metrics-port", str(port)],
    ).start()
    try:
        job = finished(owner, export_id)
        assert job["status"] == "COMPLETED" and job["attempts"] == 2, job
        export = {"function": "export"}
        count = "taskroom_job_duration_seconds_count"

        def counted() -> Samples | None:  # SAQ's after-process hook runs once the job is stored
            samples = scrape(f"http://127.0.0.1:{port}")
            return samples if value(samples, count, **export, outcome="complete") == 1 else None

        samples = wait_until(counted, what="the worker's metrics")
        assert value(samples, count, **export, outcome="failed") == 1
        assert value(samples, "taskroom_job_failures_total", **export) == 1
        assert value(samples, "taskroom_job_duration_seconds_sum", **export, outcome="complete") > 0
        assert value(samples, "taskroom_queue_depth") == 0
        assert value(scrape(url), "taskroom_queue_depth") == 0
    finally:
        worker.stop()
    owner.close()


def test_breaker_state_follows_redis(stack: Stack) -> None:
    """Last in the module: it stops the module's Redis, then starts it again."""
    url = stack.server.url
    owner = register(url)
    project = owner.client.post("/api/projects", json={"name": "Breaker"}).json()["id"]
    before = scrape(url)
    stack.redis.stop()
    try:
        assert owner.client.get(f"/api/projects/{project}").status_code == 200  # the database's
        after = scrape(url)
        assert value(after, "taskroom_redis_breaker_open") == 1
        assert moved(before, after, "taskroom_cache_misses_total") == 1
    finally:
        stack.redis.start()
    wait_until(
        lambda: value(scrape(url), "taskroom_redis_breaker_open") == 0,
        what="the breaker to close",
    )
    owner.close()


def test_no_metrics_unless_asked_for(tmp_path: Path) -> None:
    server = Server(server_env(tmp_path, None)).start()
    try:
        r = httpx.get(f"{server.url}/metrics", timeout=10)
        assert r.status_code == 404 and r.json()["status_code"] == 404
    finally:
        server.stop()
