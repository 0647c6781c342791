"""Login: one 401 text for every failure, and the rate limit of contract §3.

The limit counts failures per username and per address, so these tests run their own
servers (never the shared one, whose other tests log in from the same address) and give
each simulated client its own address with `X-Forwarded-For`, which uvicorn trusts from
loopback.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import RedisServer, Server, postgres_database, register, server_env

PASSWORD = "password-123"
LIMIT = 10
_addresses = (f"10.{i // 250}.{i % 250}.1" for i in itertools.count(1))


def address() -> str:
    """A client address no other test has used."""
    return next(_addresses)


def login(server: Server, username: str, password: str, addr: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": addr},
        timeout=30,
    )


def test_one_message_for_unknown_user_and_wrong_password(server: Server) -> None:
    user = register(server.url)
    wrong = login(server, user.username, "wrong-password", address())
    unknown = login(server, f"nobody{uuid.uuid4().hex[:8]}", "wrong-password", address())
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert login(server, user.username, PASSWORD, address()).status_code == 200
    user.close()


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of the login tests alone (embedded mode: in-process limiter)."""
    tmp = tmp_path_factory.mktemp("login")
    srv = Server(server_env(tmp, None)).start()
    yield srv
    srv.stop()


def assert_limited(r: httpx.Response, window: int = 60) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["status_code"] == 429 and r.json()["detail"]
    assert 0 < int(r.headers["Retry-After"]) <= window


REGISTRATIONS = 20  # an hour per address (TASKROOM_REGISTER_LIMIT's default)


def test_registrations_per_address(tmp_path: Path) -> None:
    env = server_env(tmp_path, None)
    del env["TASKROOM_REGISTER_LIMIT"]  # the default
    srv = Server(env).start()
    try:

        def sign_up(addr: str) -> httpx.Response:
            body = {"username": f"r{uuid.uuid4().hex[:10]}", "password": PASSWORD}
            headers = {"X-Forwarded-For": addr}
            return httpx.post(f"{srv.url}/api/auth/register", json=body, headers=headers)

        busy = address()
        for _ in range(REGISTRATIONS):
            assert sign_up(busy).status_code == 201
        refused = sign_up(busy)
        assert_limited(refused, window=3600)
        assert int(refused.headers["Retry-After"]) > 3600 - 60
        assert sign_up(address()).status_code == 201  # per address
    finally:
        srv.stop()


def test_limit_per_username(own_server: Server) -> None:
    user = register(own_server.url)
    for _ in range(LIMIT):  # each failure from a new address: only the name adds up
        assert login(own_server, user.username, "wrong-password", address()).status_code == 401
    # While it holds, even the right password from a fresh address is refused.
    assert_limited(login(own_server, user.username, PASSWORD, address()))
    assert_limited(login(own_server, user.username, "wrong-password", address()))
    # Another name is not affected.
    other = register(own_server.url)
    assert login(own_server, other.username, PASSWORD, address()).status_code == 200


def test_limit_per_address(own_server: Server) -> None:
    user = register(own_server.url)
    addr = address()
    for i in range(LIMIT):  # each failure names a different user: only the address adds up
        assert (
            login(own_server, f"ghost{i}{uuid.uuid4().hex[:6]}", "nope-nope", addr).status_code
            == 401
        )
    assert_limited(login(own_server, user.username, PASSWORD, addr))
    assert login(own_server, user.username, PASSWORD, address()).status_code == 200


def test_successes_and_registrations_do_not_count(own_server: Server) -> None:
    addr = address()
    user = register(own_server.url)
    for _ in range(LIMIT + 1):
        r = httpx.post(
            f"{own_server.url}/api/auth/register",
            json={"username": f"r{uuid.uuid4().hex[:10]}", "password": PASSWORD},
            headers={"X-Forwarded-For": addr},
        )
        assert r.status_code == 201
    for _ in range(LIMIT + 1):
        assert login(own_server, user.username, PASSWORD, addr).status_code == 200
    for _ in range(LIMIT - 1):
        assert login(own_server, user.username, "wrong-password", addr).status_code == 401
    assert login(own_server, user.username, PASSWORD, addr).status_code == 200
    assert login(own_server, user.username, "wrong-password", addr).status_code == 401
    assert_limited(login(own_server, user.username, PASSWORD, addr))


@pytest.fixture(scope="module")
def two_replicas(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server, RedisServer]]:
    """Two `serve` processes sharing one Redis and one PostgreSQL database."""
    redis = RedisServer().start()
    with postgres_database() as url:
        servers = [
            Server(server_env(Path(tmp_path_factory.mktemp(f"replica{i}")), url, redis.url))
            for i in range(2)
        ]
        servers[0].start()  # the first one migrates; then the second starts on a ready schema
        servers[1].start()
        yield servers[0], servers[1], redis
        for s in servers:
            s.stop()
    redis.stop()


def test_limit_holds_across_replicas(two_replicas: tuple[Server, Server, RedisServer]) -> None:
    a, b, _ = two_replicas
    user = register(a.url)
    for i in range(LIMIT):  # half the failures on each replica
        assert login((a, b)[i % 2], user.username, "wrong-password", address()).status_code == 401
    assert_limited(login(a, user.username, PASSWORD, address()))
    assert_limited(login(b, user.username, PASSWORD, address()))

    addr = address()
    for i in range(LIMIT):
        server = (a, b)[i % 2]
        assert login(server, f"ghost{uuid.uuid4().hex[:8]}", "nope-nope", addr).status_code == 401
    other = register(b.url)
    assert_limited(login(a, other.username, PASSWORD, addr))
    assert_limited(login(b, other.username, PASSWORD, addr))
    assert login(b, other.username, PASSWORD, address()).status_code == 200


def test_limit_falls_back_to_memory_when_redis_dies(
    two_replicas: tuple[Server, Server, RedisServer],
) -> None:
    a, _, redis = two_replicas
    user = register(a.url)
    redis.stop()
    try:
        health = httpx.get(f"{a.url}/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["redis"] == "down" and health.json()["status"] == "degraded"
        assert login(a, user.username, PASSWORD, address()).status_code == 200
        for _ in range(LIMIT):
            assert login(a, user.username, "wrong-password", address()).status_code == 401
        assert_limited(login(a, user.username, PASSWORD, address()))
    finally:
        redis.start()
