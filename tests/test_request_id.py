"""Request ids: kept from a sane `X-Request-Id` or made, returned on every response, and on the
JSON log lines of the request and of what it set going.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import Server, register, server_env, wait_until

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def failing_exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No Redis: an export runs in the API process, and this one fails (and says so in the log).

    At `info`, so that uvicorn logs every request too.
    """
    env = server_env(
        tmp_path_factory.mktemp("request-id"), None, TASKROOM_FAILPOINTS="export.fail_attempts=1"
    )
    server = Server(env, extra_args=["--log-level", "info"]).start()
    yield server
    server.stop()


def returned_id(url: str, given: bytes | None = None) -> str:
    headers = {b"X-Request-Id": given} if given is not None else {}
    return httpx.get(url, headers=headers, timeout=10).headers["x-request-id"]


@pytest.mark.parametrize("path", ["/health", "/api/me", "/no/such/route"])
def test_a_sane_request_id_is_kept_on_every_response(failing_exports: Server, path: str) -> None:
    """A handler's answer, the token check's 401, the router's 404: each says its id."""
    url = f"{failing_exports.url}{path}"
    assert returned_id(url, b"trace-42.a:b_C") == "trace-42.a:b_C"
    made = returned_id(url)
    assert MADE.fullmatch(made) and made != returned_id(url)


@pytest.mark.parametrize(
    "given", [b"two words", b"x" * 129, b'quote"d', b"", "caf\u00e9".encode(), b"{json}"]
)
def test_an_unfit_request_id_is_replaced(failing_exports: Server, given: bytes) -> None:
    assert MADE.fullmatch(returned_id(f"{failing_exports.url}/health", given))


def test_log_lines_carry_the_id_of_the_request_that_caused_them(failing_exports: Server) -> None:
    user = register(failing_exports.url)
    project = user.client.post("/api/projects", json={"name": "Logged"}).json()["id"]
    r = user.client.post(
        f"/api/projects/{project}/exports",
        json={"format": "csv"},
        headers={"X-Request-Id": "export-7"},
    )
    assert r.status_code == 202 and r.headers["x-request-id"] == "export-7"

    said = f"export {r.json()['id']} failed"

    def failure() -> dict[str, Any] | None:
        found = [line for line in lines(failing_exports) if line["message"] == said]
        return found[0] if found else None

    line = wait_until(failure, what="the export's failure in the log")
    assert line["request_id"] == "export-7"  # logged by the task the request started
    assert line["level"] == "WARNING" and "FailpointError" in line["exception"]
    access = [line for line in lines(failing_exports) if line["logger"] == "uvicorn.access"]
    [export_request] = [line for line in access if line.get("request_id") == "export-7"]
    assert f'"POST /api/projects/{project}/exports HTTP/1.1" 202' in export_request["message"]
    user.close()


def lines(server: Server) -> list[dict[str, Any]]:
    """The server's log, every line of it a JSON object (but what `serve` prints at start)."""
    log = server.log().splitlines()
    assert all(line.startswith("{") for line in log[1:]), log
    return [json.loads(line) for line in log[1:]]
