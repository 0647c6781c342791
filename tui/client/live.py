"""The live half of the client: one websocket, every open room, reconnect with `since` resume.

Frames are decoded with `api.wire` and handed to the app as Textual messages. They are
buffered for a frame's time and posted as one `LiveFrames` batch, so a burst of a hundred
events costs one redraw, not a hundred.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from typing import Literal

import msgspec
from textual.message import Message
from textual.message_pump import MessagePump
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from api import wire
from tui.text import from_wire

ConnectionState = Literal["connecting", "live", "reconnecting", "offline"]

FLUSH_SECONDS = 0.1  # at most 10 live redraws a second: cheap on CPU and over SSH
MAX_BACKOFF = 30.0
AUTH_CLOSE_CODES = {4401, 4403}


class LiveFrames(Message):
    """A batch of server frames, in arrival order."""

    def __init__(self, frames: list[wire.ServerFrame]) -> None:
        super().__init__()
        self.frames = frames


class ConnectionChanged(Message):
    def __init__(self, state: ConnectionState, attempt: int = 0, reason: str = "") -> None:
        super().__init__()
        self.state = state
        self.attempt = attempt
        self.reason = reason


def backoff(attempt: int) -> float:
    """Exponential with full jitter: 0.5 s, 1 s, 2 s … capped at 30 s."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF, 0.5 * 2.0 ** (attempt - 1))


class LiveClient:
    """Keeps one websocket open while the app lives; run `run()` in a worker."""

    def __init__(self, target: MessagePump, url: str, token: str) -> None:
        self.target = target
        self.url = url
        self.token = token
        self.rooms: dict[str, str | None] = {}  # room → last cursor seen
        self.presence: dict[str, list[wire.Actor]] = {}  # room → who is there, latest
        self._ws: ClientConnection | None = None
        self._decoder = msgspec.json.Decoder(wire.ServerFrame)
        self._buffer: list[wire.ServerFrame] = []
        self._flush: asyncio.TimerHandle | None = None
        self._sends: set[asyncio.Task[None]] = set()

    # --- what the app calls --------------------------------------------------------------

    def subscribe(self, room: str) -> None:
        if room not in self.rooms:
            self.rooms[room] = None
            self._send(wire.Subscribe(room=room))

    def unsubscribe(self, room: str) -> None:
        if self.rooms.pop(room, "absent") != "absent":
            self._send(wire.Unsubscribe(room=room))

    def typing(self, room: str, task_id: uuid.UUID | None, state: Literal["start", "stop"]) -> None:
        self._send(wire.SetTyping(room=room, task_id=task_id, state=state))

    def forget_cursor(self, room: str) -> None:
        """After a resync the old cursor is useless: the refetch is the new baseline."""
        if room in self.rooms:
            self.rooms[room] = None

    # --- the connection loop -------------------------------------------------------------

    async def run(self) -> None:
        attempt = 0
        while True:
            self.target.post_message(
                ConnectionChanged("reconnecting" if attempt else "connecting", attempt)
            )
            try:
                async with connect(
                    self.url,
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    proxy=None,
                    open_timeout=10,
                    ping_interval=20,
                    ping_timeout=20,
                    close_timeout=2,
                ) as ws:
                    self._ws = ws
                    attempt = 0
                    self.target.post_message(ConnectionChanged("live"))
                    for room, cursor in self.rooms.items():
                        await ws.send(self._encode(wire.Subscribe(room=room, since=cursor)))
                    async for raw in ws:
                        self._receive(raw)
            except InvalidStatus as exc:
                # 401 is a rejected token; a 403/404 may be a server without live rooms yet
                if exc.response.status_code == 401:
                    self._offline("the server refused the live connection (token rejected)")
                    return
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code in AUTH_CLOSE_CODES:
                    self._offline("the server closed the live connection (token rejected)")
                    return
            except (OSError, TimeoutError, InvalidHandshake):
                pass
            finally:
                self._ws = None
            attempt += 1
            self.target.post_message(ConnectionChanged("reconnecting", attempt))
            await asyncio.sleep(backoff(attempt))

    def _offline(self, reason: str) -> None:
        self.target.post_message(ConnectionChanged("offline", reason=reason))

    @staticmethod
    def _encode(frame: wire.ClientFrame) -> str:
        return msgspec.json.encode(frame).decode()

    def _receive(self, raw: str | bytes) -> None:
        try:
            frame = from_wire(raw, self._decoder.decode(raw))
        except msgspec.DecodeError:
            return  # a frame type this client does not know: ignore, stay connected
        if isinstance(frame, wire.RoomEvent | wire.Subscribed) and frame.room in self.rooms:
            self.rooms[frame.room] = frame.cursor or self.rooms[frame.room]
        if isinstance(frame, wire.Subscribed):
            self.presence[frame.room] = frame.presence
        elif isinstance(frame, wire.Presence):
            self.presence[frame.room] = frame.users
        self._buffer.append(frame)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._post)

    def _post(self) -> None:
        frames, self._buffer, self._flush = self._buffer, [], None
        self.target.post_message(LiveFrames(frames))

    def _send(self, frame: wire.ClientFrame) -> None:
        """Fire and forget: a frame sent while disconnected is dropped (resubscribe covers it)."""
        ws = self._ws
        if ws is None:
            return
        task = asyncio.get_running_loop().create_task(self._send_now(ws, frame))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    @classmethod
    async def _send_now(cls, ws: ClientConnection, frame: wire.ClientFrame) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(cls._encode(frame))
