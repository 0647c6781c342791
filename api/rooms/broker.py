"""The broker: how room events, presence and typing travel between the API replicas.

Two backends behind one protocol: `RedisBroker` (api/rooms/redis_broker.py) for several
replicas, `MemoryBroker` here for one process without Redis. The per-replica `Hub`
(api/rooms/hub.py) owns the sockets and asks the broker for a room's tail, its backlog
after a cursor and its presence; the broker pushes what arrives into the hub's `Sink`.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from api.events import DomainEvent
from api.rooms.publisher import INTERNAL_EVENTS, SEQ, encode_event, encode_revoked
from api.wire import Actor, room_of

CursorKey = tuple[int, int]
ZERO_CURSOR = "0-0"
KEEP_EVENTS = 1000
KEEP_SECONDS = 600
HOLD_SECONDS = 2.0


_CURSOR = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_ID_MAX = 2**64 - 1  # both halves of a Redis stream id are unsigned 64-bit numbers


def cursor_key(cursor: str) -> CursorKey | None:
    """A cursor (`<ms>-<n>`, a Redis stream id) as a comparable pair; None if malformed.

    ASCII digits only and within a stream id's range, so that no cursor a client sends
    can make Redis (or `int`) fail later.
    """
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        return None
    ms, n = int(match[1]), int(match[2])
    return (ms, n) if ms <= _ID_MAX and n <= _ID_MAX else None


@dataclass(frozen=True)
class Entry:
    """One stored room event: its cursor, the stored frame body, who it locks out."""

    cursor: str
    key: CursorKey
    payload: bytes
    revoked: frozenset[str] = frozenset()

    @classmethod
    def make(cls, cursor: str, payload: bytes, revoked: str) -> Entry:
        key = cursor_key(cursor)
        assert key is not None
        return cls(cursor, key, payload, frozenset(revoked.split(",")) - {""})


class Sink(Protocol):
    """What the broker delivers into (the hub)."""

    def on_event(self, room: str, entry: Entry) -> None: ...

    def on_presence(self, room: str) -> None: ...

    def on_typing(self, room: str, frame: bytes, user_id: str) -> None: ...

    def on_gap(self, rooms: Iterable[str]) -> None:
        """Events of these rooms may have been missed (Redis lost them, or a publish failed)."""

    def on_user(self, user_id: str, frame: bytes) -> None:
        """A frame for every socket of one user (contract §8's notification frames)."""


class Broker(Protocol):
    async def start(self, sink: Sink) -> None: ...

    async def aclose(self) -> None: ...

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """The after-commit effect: append each event to its room."""

    async def watch(self, room: str) -> None:
        """Start delivering the room's events to the sink (its first local subscriber)."""

    async def unwatch(self, room: str) -> None: ...

    async def tail(self, room: str) -> str:
        """The cursor of the room's newest event (a subscriber's starting point)."""

    async def backlog(self, room: str, since: str) -> list[Entry] | None:
        """Every event after `since`, or None when some of them are no longer kept."""

    async def join(self, room: str, user: Actor) -> None: ...

    async def leave(self, room: str, user: Actor) -> None: ...

    async def presence(self, room: str) -> list[Actor]: ...

    async def typing(self, room: str, frame: bytes, user_id: str) -> None: ...

    async def publish_to_user(self, user_id: uuid.UUID, frame: bytes) -> None:
        """Send a frame to the user's channel: their sockets on every replica get it."""


def sorted_users(users: dict[str, Actor]) -> list[Actor]:
    return sorted(users.values(), key=lambda a: (a.username, str(a.id)))


@dataclass
class _MemoryRoom:
    floor: CursorKey  # the newest cursor no longer kept
    entries: deque[Entry] = field(default_factory=deque)
    last_seq: int | None = None
    held: dict[int, DomainEvent] = field(default_factory=dict)
    present: Counter[str] = field(default_factory=Counter)
    users: dict[str, Actor] = field(default_factory=dict)


class MemoryBroker:
    """One process, no Redis: the same ordering, retention and resync rules in memory.

    Cursors start at this process's boot time, so a cursor from an earlier process is
    older than the floor and gets `resync`, as an expired Redis stream would.
    """

    def __init__(self) -> None:
        self._boot: CursorKey = (int(time.time() * 1000), 0)
        self._last: CursorKey = self._boot
        self._rooms: dict[str, _MemoryRoom] = {}
        self._sink: Sink | None = None

    def _room(self, room: str) -> _MemoryRoom:
        return self._rooms.setdefault(room, _MemoryRoom(floor=self._boot))

    async def start(self, sink: Sink) -> None:
        self._sink = sink

    async def aclose(self) -> None:
        self._sink = None

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            room = self._room(room_of(event.project_id))
            seq = event.extra.get(SEQ)
            if seq is None:
                self._append(event)
                continue
            if room.last_seq is None:
                room.last_seq = seq - 1
            if seq <= room.last_seq:
                continue
            room.held[seq] = event
            if seq == room.last_seq + 1:
                self._release(room, room.last_seq)
            else:
                asyncio.get_running_loop().call_later(HOLD_SECONDS, self._skip_gap, room)

    def _release(self, room: _MemoryRoom, last: int) -> None:
        while (event := room.held.pop(last + 1, None)) is not None:
            self._append(event)
            last += 1
        room.last_seq = last

    def _skip_gap(self, room: _MemoryRoom) -> None:
        while room.held:
            self._release(room, min(room.held) - 1)

    def _append(self, event: DomainEvent) -> None:
        if event.name in INTERNAL_EVENTS:
            return
        name = room_of(event.project_id)
        room = self._room(name)
        ms = int(time.time() * 1000)
        self._last = (ms, 0) if ms > self._last[0] else (self._last[0], self._last[1] + 1)
        cursor = f"{self._last[0]}-{self._last[1]}"
        entry = Entry.make(cursor, encode_event(event), encode_revoked(event))
        room.entries.append(entry)
        horizon = (ms - KEEP_SECONDS * 1000, 0)
        while len(room.entries) > KEEP_EVENTS and room.entries[0].key < horizon:
            room.floor = room.entries.popleft().key
        if self._sink is not None:
            self._sink.on_event(name, entry)

    async def watch(self, room: str) -> None:
        return None

    async def unwatch(self, room: str) -> None:
        return None

    async def tail(self, room: str) -> str:
        r = self._room(room)
        key = r.entries[-1].key if r.entries else r.floor
        return f"{key[0]}-{key[1]}"

    async def backlog(self, room: str, since: str) -> list[Entry] | None:
        key = cursor_key(since)
        r = self._room(room)
        if key is None or key < r.floor or key > self._last:
            return None
        return [e for e in r.entries if e.key > key]

    async def join(self, room: str, user: Actor) -> None:
        r = self._room(room)
        uid = str(user.id)
        r.present[uid] += 1
        r.users[uid] = user
        if self._sink is not None:
            self._sink.on_presence(room)

    async def leave(self, room: str, user: Actor) -> None:
        r = self._room(room)
        uid = str(user.id)
        r.present[uid] -= 1
        if r.present[uid] <= 0:
            del r.present[uid]
            r.users.pop(uid, None)
        if self._sink is not None:
            self._sink.on_presence(room)

    async def presence(self, room: str) -> list[Actor]:
        return sorted_users(self._room(room).users)

    async def typing(self, room: str, frame: bytes, user_id: str) -> None:
        if self._sink is not None:
            self._sink.on_typing(room, frame, user_id)

    async def publish_to_user(self, user_id: uuid.UUID, frame: bytes) -> None:
        if self._sink is not None:
            self._sink.on_user(str(user_id), frame)
