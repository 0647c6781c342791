"""The stale-set race, forced: a reader's late store must not outlive a write (contract §4).

The `cache.fill_delay_ms` failpoint holds every reader between its database read and its
store. The same interleaving runs against a server whose store skips the generation check
(`cache.unguarded_fill`): there the old body sticks, which shows the test can fail.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial

import httpx
import pytest

from tests.cache_support import cache_server, new_project, raw_redis, reads, users
from tests.support import ApiUser, RedisServer, Server, wait_until

FILL_DELAY_MS = 1500


@pytest.fixture(scope="module", params=["guarded", "unguarded"])
def slow_fill(
    request: pytest.FixtureRequest,
    redis_server: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Server, list[ApiUser]]]:
    failpoints = f"cache.fill_delay_ms={FILL_DELAY_MS}"
    if request.param == "unguarded":
        failpoints += ";cache.unguarded_fill=1"
    with (
        cache_server(tmp_path_factory.mktemp("slow"), None, redis_server, failpoints) as srv,
        users(srv, 2) as pair,
    ):
        yield request.param, srv, pair


def _in_background(
    fn: Callable[[], httpx.Response],
) -> tuple[threading.Thread, list[httpx.Response]]:
    out: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    return thread, out


def test_late_store_of_a_reader_does_not_stick(
    slow_fill: tuple[str, Server, list[ApiUser]], redis_server: RedisServer
) -> None:
    mode, srv, (alice, bob) = slow_fill
    pid = new_project(alice, bob, name="old")
    key = f"v1:project:{pid}"
    assert not raw_redis(redis_server).exists(key)

    # 1. A reader misses and reads the old row, then waits before its store.
    # the fill's own session ending (the caller's account check is logged as `[accounts]`)
    before = srv.log().count("Engine ROLLBACK")
    reader, got = _in_background(lambda: bob.client.get(f"/api/projects/{pid}"))
    wait_until(
        lambda: srv.log().count("Engine ROLLBACK") > before, what="the reader's database read"
    )
    # 2. A writer commits and drops the key while the reader waits.
    r = alice.client.patch(f"/api/projects/{pid}", json={"name": "new"})
    assert r.status_code == 200
    # 3. The reader stores late (and answers with what it read before the write).
    reader.join(30)
    assert got[0].json()["name"] == "old", "the interleaving was not forced"

    served = alice.client.get(f"/api/projects/{pid}").json()["name"]
    stored = raw_redis(redis_server).get(key)
    if mode == "guarded":
        assert served == "new"
        assert stored is None or b'"name":"new"' in stored
    else:  # without the generation check the old body is back for the whole TTL
        assert served == "old"
        assert stored is not None and b'"name":"old"' in stored


def test_concurrent_misses_share_one_database_read(
    slow_fill: tuple[str, Server, list[ApiUser]],
) -> None:
    _mode, srv, (alice, bob) = slow_fill
    pid = new_project(alice, bob)
    before = {table: reads(srv, table) for table in ("projects", "memberships", "tasks")}
    readers = [
        _in_background(partial(user.client.get, f"/api/projects/{pid}"))
        for user in (alice, bob) * 4
    ]
    for thread, _ in readers:
        thread.join(30)
    assert all(out[0].status_code == 200 for _, out in readers)
    # One fill serves all eight: the project, its members and its tasks are each read from
    # the database once. (Not a count of every statement: each request may still check its
    # own caller, which is no part of the body being filled.)
    after = {table: reads(srv, table) for table in before}
    assert {table: after[table] - before[table] for table in before} == {
        "projects": 1,
        "memberships": 1,
        "tasks": 1,
    }, srv.log()[-6000:]
