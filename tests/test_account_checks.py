"""Every authenticated request checks that its user still has an account (tokens are stateless):
a deleted user is refused within a second, and the requests arriving together when a check is
due share one query."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support import Server, postgres_database, register, server_env, wait_until

ACCOUNT_CHECK = re.compile(r"^\S+ \S+ INFO sqlalchemy\.engine\.Engine \[accounts\] SELECT", re.M)


@pytest.fixture(scope="module")
def echo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with postgres_database() as url:
        env = server_env(tmp_path_factory.mktemp("accounts"), url, TASKROOM_FAILPOINTS="db.echo=1")
        srv = Server(env).start(timeout=90)
        yield srv, url.rsplit("/", 1)[1]
        srv.stop()


def test_a_deleted_account_is_refused_within_a_second(echo_server: tuple[Server, str]) -> None:
    srv, database = echo_server
    user = register(srv.url)
    try:
        assert user.client.get("/api/projects").status_code == 200
        subprocess.run(
            [
                "psql",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                f"DELETE FROM users WHERE id = '{user.id}'",
            ],
            check=True,
            capture_output=True,
        )
        gone = time.monotonic()
        wait_until(lambda: user.client.get("/api/projects").status_code == 401, timeout=5)
        assert time.monotonic() - gone < 1.5  # RECHECK is 1 s; the rest is the polling
        r = user.client.post("/api/projects", json={"name": "x"})
        assert r.status_code == 401
        assert r.json()["detail"] == "This account no longer exists"
    finally:
        user.close()


def test_requests_arriving_together_share_one_account_check(
    echo_server: tuple[Server, str],
) -> None:
    srv, _ = echo_server
    user = register(srv.url)
    try:
        time.sleep(1.1)  # the registration's confirmation has run out: the next request asks
        logged = len(srv.log())
        barrier = threading.Barrier(16)
        codes: list[int] = []

        def call() -> None:
            with httpx.Client(base_url=srv.url, headers=user.client.headers) as client:
                barrier.wait()
                codes.append(client.get("/api/projects").status_code)

        threads = [threading.Thread(target=call) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [200] * 16
        assert len(ACCOUNT_CHECK.findall(srv.log()[logged:])) <= 2  # one, or two across the second
    finally:
        user.close()
