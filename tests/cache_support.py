"""Helpers for the cache tests: servers with Redis, raw Redis access, SQL counted from logs."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import redis

from tests.support import ApiUser, RedisServer, Server, register, server_env

# One line per statement with the `db.echo` failpoint (SQLAlchemy's own echo format).
_STATEMENT = re.compile(
    r"^\S+ \S+ INFO sqlalchemy\.engine\.Engine (BEGIN|SELECT|INSERT|UPDATE)", re.M
)


@contextlib.contextmanager
def cache_server(
    tmp: Path,
    database_url: str | None,
    redis_server: RedisServer,
    failpoints: str = "",
    *,
    patient: bool = True,
) -> Iterator[Server]:
    """A `taskroom serve` with the cache on and every SQL statement logged.

    `patient` loosens the 100 ms Redis bound so that a loaded test machine does not trip
    the breaker in tests about something else; the fault tests keep the real bound.
    """
    patience = "redis.timeout_ms=3000" if patient else ""
    failpoints = ";".join(p for p in ("db.echo=1", patience, failpoints) if p)
    env = server_env(tmp, database_url, redis_server.url, TASKROOM_FAILPOINTS=failpoints)
    srv = Server(env).start(timeout=90)  # server start-up is slow on a loaded machine
    try:
        yield srv
    finally:
        srv.stop()


def raw_redis(redis_server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(redis_server.url, socket_timeout=10)


def statements(server: Server) -> int:
    """How many SQL statements the server has run so far."""
    return len(_STATEMENT.findall(server.log()))


def reads(server: Server, table: str) -> int:
    """How many SELECTs of `table`'s rows (`SELECT <table>.<column>, …`) the server has run."""
    select = rf"^\S+ \S+ INFO sqlalchemy\.engine\.Engine SELECT {table}\."
    return len(re.findall(select, server.log(), re.M))


def new_project(alice: ApiUser, bob: ApiUser, name: str = "Cached") -> str:
    """A fresh project that Alice owns and Bob edits."""
    r = alice.client.post("/api/projects", json={"name": name})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = alice.client.post(
        f"/api/projects/{pid}/members", json={"username": bob.username, "role": "editor"}
    )
    assert r.status_code == 201, r.text
    return str(pid)


@contextlib.contextmanager
def users(server: Server, n: int) -> Iterator[list[ApiUser]]:
    """`n` registered users (registration hashes a password: share them across tests)."""
    people = [register(server.url) for _ in range(n)]
    try:
        yield people
    finally:
        for person in people:
            person.close()
