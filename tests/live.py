"""A websocket test client for /ws: typed-enough helpers over the `websockets` library."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class Live:
    """One /ws connection; frames that a helper skips are kept in `seen` for later asserts."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, ws_url: str, token: str, **kwargs: Any) -> Live:
        ws = await connect(
            ws_url,
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=15,
            **kwargs,
        )
        return cls(ws)

    async def close(self) -> None:
        await self.ws.close()

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, within: float = 15.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), within))
        self.seen.append(frame)
        return frame

    async def expect(self, kind: str, within: float = 15.0, **match: Any) -> dict[str, Any]:
        """The next frame of type `kind` whose fields match; other frames are skipped."""
        deadline = time.monotonic() + within
        while True:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def subscribe(self, room: str, since: str | None = None) -> dict[str, Any]:
        """Subscribe and return the answer (`subscribed` or `error`)."""
        await self.send(type="subscribe", room=room, since=since)
        while True:
            frame = await self.recv()
            if frame["type"] in ("subscribed", "error") and frame.get("room") == room:
                return frame

    async def events(self, n: int, within: float = 15.0) -> list[dict[str, Any]]:
        """The next `n` event frames."""
        deadline = time.monotonic() + within
        out: list[dict[str, Any]] = []
        while len(out) < n:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if frame["type"] == "event":
                out.append(frame)
        return out

    async def collect(self, seconds: float) -> list[dict[str, Any]]:
        """Every frame that arrives within `seconds` (for checking silence)."""
        deadline = time.monotonic() + seconds
        out: list[dict[str, Any]] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(await self.recv(left))
            except TimeoutError:
                break
        return out


def room(project_id: str) -> str:
    return f"project:{project_id}"


@contextlib.asynccontextmanager
async def connected(ws_url: str, *tokens: str) -> AsyncIterator[list[Live]]:
    """One connection per token, all closed afterwards."""
    lives: list[Live] = []
    try:
        for token in tokens:
            lives.append(await Live.connect(ws_url, token))
        yield lives
    finally:
        for live in lives:
            await live.close()
