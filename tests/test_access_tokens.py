"""Personal access tokens (contract §10): made once, stored as a hash, scoped, revocable at once."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import subprocess
import time
import uuid
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.live import Live, room
from tests.routes import app_routes
from tests.support import ApiUser, MakeUser, Server


def rows(server: Server, sql: str) -> list[tuple[str, ...]]:
    """Ask the server's database directly, past the API (SQLite file or PostgreSQL)."""
    url = server.env["TASKROOM_DATABASE_URL"]
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.split(":///", 1)[1])) as db:
            return [tuple(str(v) for v in r) for r in db.execute(sql).fetchall()]
    name = url.rsplit("/", 1)[1]
    out = subprocess.run(
        ["psql", "-At", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def pat_client(server: Server, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def create(user: ApiUser, scope: str = "write", **extra: Any) -> dict[str, Any]:
    r = user.client.post("/api/me/tokens", json={"name": f"{scope} token", "scope": scope, **extra})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_create_list_delete_and_shown_once(server: Server, make_user: MakeUser) -> None:
    alice, bob = make_user(), make_user()
    made = create(alice, "read", expires_in_days=30)
    assert made["token"].startswith("trp_") and len(made["token"]) > 40
    assert made["scope"] == "read" and made["expires_at"] is not None
    listed = alice.client.get("/api/me/tokens").json()
    assert [t["id"] for t in listed] == [made["id"]]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is None
    assert bob.client.get("/api/me/tokens").json() == []
    # Only the sha256 is in the database, never the secret.
    stored = rows(server, f"SELECT token_hash FROM api_tokens WHERE name = '{made['name']}'")
    assert all(made["token"] not in v for r in stored for v in r)
    assert any(re.fullmatch(r"[0-9a-f]{64}", r[0]) for r in stored)
    # Someone else's id is 404; the owner's is 204 and then gone.
    assert bob.client.delete(f"/api/me/tokens/{made['id']}").status_code == 404
    assert alice.client.delete(f"/api/me/tokens/{made['id']}").status_code == 204
    assert alice.client.get("/api/me/tokens").json() == []
    assert alice.client.delete(f"/api/me/tokens/{made['id']}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "scope": "read"},
        {"name": "x" * 101, "scope": "read"},
        {"name": "a\nb", "scope": "read"},
        {"name": "x", "scope": "admin"},
        {"name": "x", "scope": "read", "expires_in_days": 0},
        {"name": "x", "scope": "read", "expires_in_days": 366},
    ],
)
def test_bad_input_is_400(server: Server, make_user: MakeUser, body: dict[str, Any]) -> None:
    assert make_user().client.post("/api/me/tokens", json=body).status_code == 400


def test_write_token_works_and_cannot_create_tokens(server: Server, make_user: MakeUser) -> None:
    alice = make_user()
    made = create(alice, "write")
    with pat_client(server, made["token"]) as pat:
        assert pat.get("/api/me").json()["id"] == alice.id
        r = pat.post("/api/projects", json={"name": "Via token"})
        assert r.status_code == 201, r.text
        r = pat.post("/api/me/tokens", json={"name": "child", "scope": "read"})
        assert r.status_code == 403 and r.json()["detail"] == "Tokens cannot create tokens"
    listed = alice.client.get("/api/me/tokens").json()
    assert len(listed) == 1 and listed[0]["last_used_at"] is not None
    # Written at most once a minute: more requests now leave it as it was.
    with pat_client(server, made["token"]) as pat:
        assert pat.get("/api/me").status_code == 200
    assert alice.client.get("/api/me/tokens").json()[0]["last_used_at"] == listed[0]["last_used_at"]


def fill_path(path: str) -> str:
    return re.sub(r"\{\w+\}", str(uuid.uuid4()), path)


def test_read_token_gets_403_on_every_write(server: Server, make_user: MakeUser) -> None:
    alice = make_user()
    project = alice.client.post("/api/projects", json={"name": "Read only"}).json()
    made = create(alice, "read")
    before = [alice.client.get("/api/projects").json(), alice.client.get("/api/me/tokens").json()]
    writes = sorted(r for r in app_routes() if r[0] not in ("GET", "HEAD"))
    assert writes
    with pat_client(server, made["token"]) as pat:
        assert pat.get("/api/projects").status_code == 200
        assert pat.get(f"/api/projects/{project['id']}").status_code == 200
        for method, path in writes:
            if path.startswith("/api/auth/"):
                continue  # unauthenticated routes: a token is not asked for
            r = pat.request(method, fill_path(path), json={})
            assert r.status_code == 403, (method, path, r.status_code, r.text)
    after = [alice.client.get("/api/projects").json(), alice.client.get("/api/me/tokens").json()]
    for listing in (before[1], after[1]):
        for t in listing:
            t.pop("last_used_at")
    assert after == before


def test_revoked_and_expired_are_401_at_once(server: Server, make_user: MakeUser) -> None:
    alice = make_user()
    made = create(alice, "write")
    with pat_client(server, made["token"]) as pat:
        for _ in range(3):
            assert pat.get("/api/me").status_code == 200
        assert alice.client.delete(f"/api/me/tokens/{made['id']}").status_code == 204
        assert pat.get("/api/me").status_code == 401
    expiring = create(alice, "read", expires_in_days=1)
    token_id = expiring["id"]
    if server.env["TASKROOM_DATABASE_URL"].startswith("sqlite"):
        token_id = token_id.replace("-", "")  # SQLAlchemy keeps a Uuid as 32 hex digits there
    with pat_client(server, expiring["token"]) as pat:
        assert pat.get("/api/me").status_code == 200
        run_sql(server, f"UPDATE api_tokens SET expires_at = created_at WHERE id = '{token_id}'")
        assert pat.get("/api/me").status_code == 401
    with pat_client(server, "trp_" + "x" * 43) as pat:
        assert pat.get("/api/me").status_code == 401


def run_sql(server: Server, sql: str) -> None:
    url = server.env["TASKROOM_DATABASE_URL"]
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.split(":///", 1)[1])) as db, db:
            assert db.execute(sql).rowcount == 1
        return
    rows(server, sql)


async def test_websocket_with_tokens(server: Server, make_user: MakeUser) -> None:
    alice = make_user()
    pid = alice.client.post("/api/projects", json={"name": "Room"}).json()["id"]
    reader, writer = create(alice, "read"), create(alice, "write")
    live_r = await Live.connect(server.ws_url, reader["token"])
    live_w = await Live.connect(server.ws_url, writer["token"])
    try:
        for live in (live_r, live_w):
            assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        await live_r.send(type="typing", room=room(pid), state="start")
        error = await live_r.expect("error")
        assert error["code"] == "forbidden"
        # Revoking closes the token's open socket with 4401 within 5 s; the other stays.
        assert alice.client.delete(f"/api/me/tokens/{reader['id']}").status_code == 204
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await live_r.recv(within=6)
        assert time.monotonic() - started < 5.0
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        await live_w.send(type="ping")
        assert (await live_w.expect("pong"))["type"] == "pong"
    finally:
        for live in (live_r, live_w):
            with contextlib.suppress(Exception):
                await live.close()
    # A revoked token cannot open a new one.
    async with connect(
        server.ws_url, additional_headers={"Authorization": f"Bearer {reader['token']}"}
    ) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
