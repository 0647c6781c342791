"""What user routes and the websocket accept: a Bearer token of the user audience, nothing else."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.domain.ssh_keys.gateway import GATEWAY_AUDIENCE
from api.security import make_jwt_auth
from tests.support import ApiUser, Server


def refused_headers(server: Server, user: ApiUser) -> dict[str, str]:
    """Authorization values that must not authenticate `user`, by what is wrong with them."""
    auth = make_jwt_auth(server.env["TASKROOM_SECRET_KEY"], 3600)
    claims = {"identifier": user.id, "token_extras": {"username": user.username}}
    forged = {
        "gateway audience": auth.create_token(**claims, token_audience=GATEWAY_AUDIENCE),
        "no audience": auth.create_token(**claims),
        "another audience": auth.create_token(**claims, token_audience=f"x{uuid.uuid4().hex}"),
    }
    headers = {name: f"Bearer {token}" for name, token in forged.items()}
    headers |= {f"{scheme} scheme": f"{scheme} {user.token}" for scheme in ("Basic", "Token")}
    headers["no scheme"] = user.token
    return headers


def test_user_routes_take_only_bearer_tokens_of_the_user_audience(
    server: Server,
    make_user,  # type: ignore[no-untyped-def]
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
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    alice = make_user()
    assert await ws_close_code(server, f"Bearer {alice.token}") is None
    for name, value in refused_headers(server, alice).items():
        assert await ws_close_code(server, value) == 4401, name
