"""GET /health per contract: 200 while the database answers, 503 only once it is gone."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support import Server, _psql, postgres_database, server_env, wait_until


def test_health_is_503_when_the_database_goes_away(tmp_path: Path) -> None:
    with postgres_database() as url:
        server = Server(server_env(tmp_path, url)).start()
        try:
            ok = httpx.get(f"{server.url}/health", timeout=10)
            assert ok.status_code == 200
            assert ok.json()["database"] == "ok" and ok.json()["status"] == "ok"
            _psql(f"DROP DATABASE {url.rsplit('/', 1)[-1]} WITH (FORCE)")

            def down() -> httpx.Response | None:
                r = httpx.get(f"{server.url}/health", timeout=10)
                return r if r.status_code == 503 else None

            r = wait_until(down, timeout=30, what="/health to report the database down")
            body = r.json()
            assert body["database"] == "down" and body["status"] == "degraded"
            assert body["redis"] == "disabled" and body["version"]
            assert server.proc is not None and server.proc.poll() is None  # still serving
        finally:
            server.stop()
