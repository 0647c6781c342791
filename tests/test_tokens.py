"""What user routes and the websocket accept: a Bearer token of the user audience, of a user who
still has an account; nothing else."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.db.models import User
from api.security import make_jwt_auth
from api.signing import GATEWAY_AUDIENCE
from tests.support import ApiUser, MakeUser, Server


def refused_headers(server: Server, user: ApiUser) -> dict[str, str]:
    """Authorization values that must not authenticate `user`, by what is wrong with them."""
    auth = make_jwt_auth(server.env["TASKROOM_SECRET_KEY"], 3600)

    def forge(audience: str | None) -> str:
        extras = {"username": user.username}
        return auth.create_token(user.id, token_audience=audience, token_extras=extras)

    forged = {
        "gateway audience": forge(GATEWAY_AUDIENCE),
        "no audience": forge(None),
        "another audience": forge(f"x{uuid.uuid4().hex}"),
    }
    headers = {name: f"Bearer {token}" for name, token in forged.items()}
    headers |= {f"{scheme} scheme": f"{scheme} {user.token}" for scheme in ("Basic", "Token")}
    headers["no scheme"] = user.token
    return headers


def test_user_routes_take_only_bearer_tokens_of_the_user_audience(
    server: Server,
    make_user: MakeUser,
) -> None:
    alice = make_user()
    headers = refused_headers(server, alice)
    with httpx.Client(base_url=server.url) as http:
        for path in ("/api/me", "/api/projects", "/api/me/ssh-keys"):
            assert alice.client.get(path).status_code == 200, path
            for name, value in headers.items():
                r = http.get(path, headers={"Authorization": value})
                assert r.status_code == 401, (path, name, r.text)
                assert r.json()["status_code"] == 401
        for name, value in headers.items():
            r = http.post("/api/projects", json={"name": "x"}, headers={"Authorization": value})
            assert r.status_code == 401, name
    assert alice.client.get("/api/projects").json() == []


async def ws_close_code(server: Server, authorization: str) -> int | None:
    """The close code the socket gets, or None when it answers a ping."""
    async with connect(server.ws_url, additional_headers={"Authorization": authorization}) as ws:
        try:
            await ws.send('{"type": "ping"}')
            await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        return None


async def test_the_websocket_takes_only_bearer_tokens_of_the_user_audience(
    server: Server,
    make_user: MakeUser,
) -> None:
    alice = make_user()
    assert await ws_close_code(server, f"Bearer {alice.token}") is None
    for name, value in refused_headers(server, alice).items():
        assert await ws_close_code(server, value) == 4401, name


async def delete_account(database_url: str, user_id: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(delete(User).where(User.id == uuid.UUID(user_id)))
    await engine.dispose()


async def test_a_deleted_account_is_refused_everywhere(
    server: Server,
    database_url: str,
    make_user: MakeUser,
) -> None:
    bob = make_user()
    project = str(uuid.uuid4())
    routes = [
        ("GET", "/api/me", None),
        ("GET", "/api/projects", None),
        ("POST", "/api/projects", {"name": "x"}),
        ("GET", "/api/me/ssh-keys", None),
        (
            "POST",
            "/api/me/ssh-keys",
            {"public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK" + "a" * 43},
        ),
        ("GET", f"/api/projects/{project}", None),
        ("POST", f"/api/projects/{project}/tasks", {"title": "t"}),
        ("POST", f"/api/projects/{project}/exports", {"format": "csv"}),
        ("GET", f"/api/tasks/{uuid.uuid4()}", None),
    ]
    async with connect(
        server.ws_url, additional_headers={"Authorization": f"Bearer {bob.token}"}
    ) as ws:
        await ws.send('{"type": "ping"}')
        assert "pong" in str(await asyncio.wait_for(ws.recv(), 10))
        await delete_account(database_url, bob.id)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    for method, path, body in routes:
        r = bob.client.request(method, path, json=body)
        assert r.status_code == 401, (method, path, r.text)
        assert r.json()["status_code"] == 401
    assert await ws_close_code(server, f"Bearer {bob.token}") == 4401
