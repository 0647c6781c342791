"""`GET /ws` (contract §5) and the installer that wires rooms into the runtime.

Auth is checked here, not by the JWT middleware (which excludes /ws): that middleware
closes with 4500 and reads no header the way we need. A missing or bad token gets the
socket accepted and closed with 4401 before any event, so clients see a clear code.

Dead peers: uvicorn pings every 20 s and drops a socket whose pong is 20 s late
(`taskroom serve` sets ws_ping_interval/timeout); the receive loop then ends and the
socket's presence is freed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect

from api import metrics
from api.domain.tokens.secrets import looks_like_token
from api.rooms.broker import Broker, MemoryBroker
from api.rooms.hub import SEND_BUFFER, SLOW_CONSUMER, Client, Hub
from api.rooms.personal import PersonalNews
from api.rooms.redis_broker import RedisBroker
from api.rooms.sequence import assign_sequence
from api.runtime import Core, Runtime
from api.security import AuthUser, decode_token
from api.wire import ClientFrame, Ping, Pong, SetTyping, Subscribe, Unsubscribe

UNAUTHORIZED = 4401
# A close frame waits behind every frame the peer has not read yet: a slow reader gets as
# long to reach it as uvicorn gives a pong (`ws_ping_timeout`), then it is only dropped.
CLOSE_TIMEOUT = 20.0

_decoder = msgspec.json.Decoder(ClientFrame)


async def _authenticate(socket: WebSocket[Any, Any, Any], runtime: Runtime) -> AuthUser | None:
    scheme, _, token = socket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    if looks_like_token(token.strip()):
        return await runtime.tokens.authenticate(token.strip())
    return decode_token(runtime.jwt_auth, token.strip())


async def _pump(socket: WebSocket[Any, Any, Any], client: Client) -> None:
    while True:
        await socket.send_data(await client.queue.get())


async def _read(socket: WebSocket[Any, Any, Any], hub: Hub, client: Client) -> None:
    while True:
        raw = await socket.receive_data("text")
        try:
            frame = _decoder.decode(raw)
        except msgspec.DecodeError as exc:
            client.error("bad_request", str(exc))
            continue
        if isinstance(frame, Subscribe):
            await hub.subscribe(client, frame.room, frame.since)
        elif isinstance(frame, Unsubscribe):
            hub.unsubscribe(client, frame.room)
        elif isinstance(frame, SetTyping):
            if client.user.scope == "read":
                client.error("forbidden", "This access token is read-only", frame.room)
            else:
                await hub.typing(client, frame)
        elif isinstance(frame, Ping):
            client.send(Pong())


@websocket("/ws")
async def room_socket(socket: WebSocket[Any, Any, Any], runtime: NamedDependency[Runtime]) -> None:
    """One socket, many `project:<id>` rooms."""
    hub = runtime.rooms
    user = await _authenticate(socket, runtime)
    await socket.accept()
    if user is None or not await runtime.accounts.exists(user.id):
        await socket.close(UNAUTHORIZED, "A valid bearer token is required")
        return
    client = hub.connect(user)
    metrics.WEBSOCKETS.inc()
    tasks = [
        asyncio.create_task(_read(socket, hub, client)),
        asyncio.create_task(_pump(socket, client)),
        asyncio.create_task(client.too_slow.wait()),
        asyncio.create_task(client.account_gone.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.disconnect(client)
        metrics.WEBSOCKETS.dec()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
    if client.account_gone.is_set():
        code, reason = UNAUTHORIZED, "This account or access token is no longer valid"
    elif client.too_slow.is_set():
        code, reason = SLOW_CONSUMER, "Too slow: reconnect and resubscribe with since"
    else:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(code, reason), CLOSE_TIMEOUT)


async def install(core: Core) -> Hub:
    """Number events before commit, publish them after, and start this replica's hub."""
    broker: Broker = (
        RedisBroker(core.redis, core.settings.redis_url)
        if core.redis is not None and core.settings.redis_url
        else MemoryBroker()
    )
    buffer = core.settings.failpoints.get("rooms.send_buffer", SEND_BUFFER)
    hub = Hub(broker, core.sessionmaker, core.accounts, send_buffer=buffer, tokens=core.tokens)
    await hub.start()
    core.dispatcher.register_pre_commit(assign_sequence)
    core.dispatcher.register(broker.publish)
    core.dispatcher.register(PersonalNews(broker.publish_to_user).on_events)
    core.closers.append(hub.aclose)
    return hub
