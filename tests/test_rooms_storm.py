"""A reconnect storm: 1 000 sockets subscribe to one room within a second, all are served.

After a replica restarts, every client it had reconnects at once and resumes with `since`.
Real `taskroom serve` (uvicorn) with its own Redis, real websocket clients; the members are
written straight into the database (registering them would hash as many passwords).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import connect

from api.db.models import Membership, User
from api.security import hash_password, issue_token, make_jwt_auth
from tests.live import Live, room
from tests.support import RedisServer, Server, register, server_env

SOCKETS = 1000
MEMBERS = 100  # ten devices each: presence frames stay small, the subscribes are all there


@pytest.fixture
def storm_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    if database_url.startswith("sqlite"):
        pytest.skip("a scaled-out replica: PostgreSQL and Redis")
    redis = RedisServer().start()
    srv = Server(server_env(tmp_path_factory.mktemp("storm"), database_url, redis.url))
    yield srv.start(timeout=90)
    srv.stop()
    redis.stop()


async def add_members(database_url: str, project_id: str, n: int) -> list[tuple[str, str]]:
    """`n` new editors of the project, as (id, username)."""
    people = [(uuid.uuid4(), f"s{uuid.uuid4().hex[:12]}") for _ in range(n)]
    digest = hash_password("password-123")
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            insert(User),
            [
                {"id": i, "username": u, "display_name": u, "password_hash": digest}
                for i, u in people
            ],
        )
        await conn.execute(
            insert(Membership),
            [
                {"project_id": uuid.UUID(project_id), "user_id": i, "role": "editor"}
                for i, _ in people
            ],
        )
    await engine.dispose()
    return [(str(i), u) for i, u in people]


async def test_a_reconnect_storm_is_served(storm_server: Server, database_url: str) -> None:
    srv = storm_server
    owner = register(srv.url)
    pid = owner.client.post("/api/projects", json={"name": "Storm"}).json()["id"]
    owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).raise_for_status()
    first = await Live.connect(srv.ws_url, owner.token)
    cursor = (await first.subscribe(room(pid)))["cursor"]
    await first.close()
    auth = make_jwt_auth(srv.env["TASKROOM_SECRET_KEY"], 3600)
    members = await add_members(database_url, pid, MEMBERS)
    tokens = [issue_token(auth, uuid.UUID(i), u) for i, u in members] * (SOCKETS // MEMBERS)
    lives: list[Live] = []

    async def reconnect(token: str, delay: float) -> dict[str, Any]:
        await asyncio.sleep(delay)
        headers = {"Authorization": f"Bearer {token}"}
        live = Live(await connect(srv.ws_url, additional_headers=headers, open_timeout=60))
        lives.append(live)
        await live.send(type="subscribe", room=room(pid), since=cursor)
        while True:  # on a loaded test machine an answer may take longer than usual
            frame = await live.recv(within=60)
            if frame["type"] in ("subscribed", "error"):
                return frame

    started = time.monotonic()
    try:
        answers = await asyncio.gather(
            *(reconnect(t, k / SOCKETS) for k, t in enumerate(tokens))  # spread over 1 s
        )
        took = time.monotonic() - started
        kinds = [a["type"] if a["type"] == "subscribed" else a.get("code") for a in answers]
        assert kinds.count("subscribed") == SOCKETS, {k: kinds.count(k) for k in set(kinds)}
        # and the room is live (a sample: reading every socket's presence frames takes long)
        owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "after"}).raise_for_status()
        got = await asyncio.gather(*(live.expect("event", within=60) for live in lives[::50]))
        assert [e["data"]["title"] for e in got] == ["after"] * len(lives[::50])
    finally:
        await asyncio.gather(*(live.close() for live in lives), return_exceptions=True)
        owner.close()
    assert "Traceback" not in srv.log(), srv.log()[-3000:]
    print(f"{SOCKETS} sockets subscribed in {took:.1f} s")
