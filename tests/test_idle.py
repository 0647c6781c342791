"""Idle costs nothing (issue 13): an open board on a Redis-backed server, left alone for 30 s,
makes no HTTP request, and an idle subscribed socket receives no frame at all (liveness is
uvicorn's protocol-level ping, not application frames).

The regression this holds: redis-py's 5 s socket timeout equalled the stream reader's
`XREAD BLOCK 5000`, so every quiet room got `resync` every ~5 s and each board refetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import Live, room
from tests.support import RedisServer, Server, register, server_env
from tests.tui_support import make_app, new_project, open_board, until

IDLE_SECONDS = 30
_REQUESTS = re.compile(r"^taskroom_requests_total\{(?P<labels>[^}]*)\} (?P<n>[0-9.e+]+)$", re.M)


@pytest.fixture(scope="module")
def redis_backed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    redis = RedisServer().start()
    tmp = tmp_path_factory.mktemp("idle")
    srv = Server(server_env(tmp, None, redis.url, TASKROOM_METRICS="1")).start(timeout=90)
    try:
        yield srv
    finally:
        srv.stop()
        redis.stop()


def api_requests(server: Server) -> float:
    """Requests the server has answered, `/metrics` itself left out."""
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    return sum(
        float(m["n"]) for m in _REQUESTS.finditer(text) if 'path="/metrics"' not in m["labels"]
    )


async def test_an_idle_board_and_socket_cost_nothing_for_30_s(
    redis_backed: Server, tmp_path: Path
) -> None:
    user = register(redis_backed.url)
    pid = new_project(user, "Quiet", [{"title": "Nothing happens"}])
    app = make_app(redis_backed.url, tmp_path, token=user.token)
    socket = await Live.connect(redis_backed.ws_url, user.token)
    try:
        await socket.subscribe(room(pid))
        async with app.run_test(size=(100, 30)) as pilot:
            await open_board(pilot, "Quiet")
            await until(pilot, lambda: app.connection[0] == "live")
            await socket.collect(1)  # the board's first load and its presence frame settle
            before = api_requests(redis_backed)
            frames = await socket.collect(IDLE_SECONDS)
            after = api_requests(redis_backed)
        assert frames == [], frames
        assert after == before, f"{after - before:.0f} HTTP requests while idle"
    finally:
        await socket.close()
