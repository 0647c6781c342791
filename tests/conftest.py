"""Shared fixtures: databases (SQLite and PostgreSQL), owned Redis servers, real API servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    ApiUser,
    MakeUser,
    RedisServer,
    Server,
    postgres_database,
    register,
    server_env,
)

DATABASES = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One fresh database per backend for the test session."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'taskroom.db'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An embedded-mode server (no Redis) on each database backend, with every route on."""
    env = server_env(tmp_path_factory.mktemp("data"), database_url, TASKROOM_METRICS="1")
    srv = Server(env).start()
    yield srv
    srv.stop()


@pytest.fixture
def make_user(server: Server) -> Iterator[MakeUser]:
    users: list[ApiUser] = []

    def _make(username: str | None = None) -> ApiUser:
        user = register(server.url, username)
        users.append(user)
        return user

    yield _make
    for u in users:
        u.close()


@pytest.fixture
def tmp_data(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="module")
def tui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """For the TUI tests: the client does not care which database is behind the API."""
    srv = Server(server_env(tmp_path_factory.mktemp("tui"), None)).start(timeout=90)
    yield srv
    srv.stop()
