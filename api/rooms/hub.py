"""One replica's sockets and rooms: subscription seams, fan-out, presence, typing.

Every socket is a `Client` with a bounded outgoing queue drained by its own sender task,
so fan-out never awaits a socket: a slow reader cannot delay anyone else, and one whose
queue fills up is closed with `SLOW_CONSUMER` (it may reconnect and resume with `since`)
rather than silently losing events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import metrics
from api.db.models import Membership
from api.domain.accounts.known import RECHECK, KnownUsers
from api.domain.tokens.lookup import TokenLookup
from api.rooms.broker import Broker, CursorKey, Entry, cursor_key
from api.security import AuthUser
from api.wire import ErrorFrame, Presence, Resync, SetTyping, Subscribed, Typing

logger = logging.getLogger(__name__)

SEND_BUFFER = 1000  # frames queued per socket before it counts as too slow
SLOW_CONSUMER = 4008  # close code: "too slow; reconnect and resubscribe with since"
MAX_ROOMS = 100  # rooms one socket may hold
TYPING_TTL = 5.0
# Typing frames one socket may send: a burst of 10, then 5 a second (a token bucket). Each
# is relayed to every member on every replica, so more are dropped; the sender hears
# `rate_limited` once per run of dropped frames. (The TUI sends one every few seconds.)
TYPING_BURST = 10
TYPING_PER_SECOND = 5.0
PRESENCE_INTERVAL = 1.0  # a room's presence frames are at most this often (the last set wins)
CATCH_UP_TIMEOUT = 10.0  # seconds a replaying socket may take to make room in its queue
ROOM_PREFIX = "project:"

_encode = msgspec.json.encode


def event_frame(room: str, entry: Entry) -> bytes:
    """The `event` frame: the stored body with `type`, `room`, `cursor` put in front.

    Splicing the stored JSON object keeps fan-out to one small encode per event.
    """
    head = _encode({"type": "event", "room": room, "cursor": entry.cursor})
    return head[:-1] + b"," + entry.payload[1:]


def project_of(room: str) -> uuid.UUID | None:
    if not room.startswith(ROOM_PREFIX):
        return None
    try:
        return uuid.UUID(room.removeprefix(ROOM_PREFIX))
    except ValueError:
        return None


@dataclass
class RoomState:
    """A client's place in one room; `buffer` holds live events while it catches up."""

    key: CursorKey = (0, 0)
    buffer: list[Entry] | None = field(default_factory=list)
    joined: bool = False  # counted in presence


class Client:
    def __init__(self, user: AuthUser, buffer: int) -> None:
        self.user = user
        self.actor = user.actor()
        self.uid = str(user.id)
        self.rooms: dict[str, RoomState] = {}
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(buffer)
        self.too_slow = asyncio.Event()
        self.account_gone = asyncio.Event()  # the user's row was deleted: close with 4401
        self._typing_tokens = float(TYPING_BURST)
        self._typing_at = time.monotonic()
        self._typing_refused = False

    def may_type(self) -> bool:
        """Take a token from the socket's typing bucket; tell the client of the first refusal."""
        now = time.monotonic()
        elapsed, self._typing_at = now - self._typing_at, now
        self._typing_tokens = min(TYPING_BURST, self._typing_tokens + elapsed * TYPING_PER_SECOND)
        if self._typing_tokens >= 1:
            self._typing_tokens -= 1
            self._typing_refused = False
            return True
        if not self._typing_refused:
            self._typing_refused = True
            self.error("rate_limited", f"At most {TYPING_PER_SECOND:g} typing frames a second")
        return False

    def send(self, frame: bytes | msgspec.Struct) -> None:
        if self.too_slow.is_set():
            return
        try:
            self.queue.put_nowait(frame if isinstance(frame, bytes) else _encode(frame))
        except asyncio.QueueFull:
            self.too_slow.set()

    async def put(self, frame: bytes) -> None:
        """Queue a frame, waiting for room up to `CATCH_UP_TIMEOUT` (backlog replay)."""
        try:
            await asyncio.wait_for(self.queue.put(frame), CATCH_UP_TIMEOUT)
        except TimeoutError:
            self.too_slow.set()

    def error(self, code: str, detail: str, room: str | None = None) -> None:
        self.send(ErrorFrame(code=code, detail=detail, room=room))


class _KeyedLocks:
    """One lock per key, dropped when nobody holds or awaits it.

    A user's joins and leaves of one room reach the broker in order; nobody else waits for
    them (with one lock for all, a reconnect storm's thousand joins went one at a time).
    """

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Hub:
    def __init__(
        self,
        broker: Broker,
        sessionmaker: async_sessionmaker[AsyncSession],
        accounts: KnownUsers,
        send_buffer: int = SEND_BUFFER,
        tokens: TokenLookup | None = None,
    ) -> None:
        self._tokens = tokens
        self.broker = broker
        self.send_buffer = send_buffer
        self._sessionmaker = sessionmaker
        self._accounts = accounts
        self._clients: set[Client] = set()
        self._by_user: dict[str, set[Client]] = {}
        self._rooms: dict[str, set[Client]] = {}
        self._watching: dict[str, asyncio.Task[None]] = {}
        self._local: Counter[tuple[str, str]] = Counter()  # (room, user id) -> sockets here
        self._presence_locks = _KeyedLocks()
        self._shown: dict[str, list[Any]] = {}
        self._dirty: set[str] = set()
        self._dirty_event = asyncio.Event()
        self._presence_sent: dict[str, float] = {}  # room -> when its last frame went out
        self._presence_due: set[str] = set()  # rooms whose next frame waits for the interval
        self._typing: dict[tuple[str, str, uuid.UUID | None], asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.broker.start(self)
        self._loops = [
            asyncio.create_task(self._presence_loop(), name="rooms-presence"),
            asyncio.create_task(self._sweep_accounts(), name="rooms-accounts"),
        ]

    async def aclose(self) -> None:
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.broker.aclose()

    def connect(self, user: AuthUser) -> Client:
        client = Client(user, self.send_buffer)
        self._clients.add(client)
        self._by_user.setdefault(client.uid, set()).add(client)
        return client

    async def _sweep_accounts(self) -> None:
        """Every `RECHECK` s, one query: the sockets of users whose account is gone end."""
        while True:
            await asyncio.sleep(RECHECK)
            try:
                missing = await self._accounts.missing({c.user.id for c in self._clients})
            except Exception as exc:
                logger.warning("checking the accounts of open sockets: %s", exc)
                continue
            for client in self._clients:
                if client.user.id in missing:
                    client.account_gone.set()
            await self._sweep_tokens()

    async def _sweep_tokens(self) -> None:
        """One query for every socket opened with an access token: revoked or expired ends it."""
        token_ids = {c.user.token_id for c in self._clients if c.user.token_id is not None}
        if self._tokens is None or not token_ids:
            return
        try:
            invalid = await self._tokens.invalid(token_ids)
        except Exception as exc:
            logger.warning("checking the access tokens of open sockets: %s", exc)
            return
        for client in self._clients:
            if client.user.token_id in invalid:
                client.account_gone.set()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a broker call in the background (from a sync path), logging its failure."""

        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:
                logger.warning("rooms background call failed: %s", exc)

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- subscribe / unsubscribe -------------------------------------------------------

    async def _is_member(self, project_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        async with self._sessionmaker() as session:
            found = await session.scalar(
                select(Membership.user_id).where(
                    Membership.project_id == project_id, Membership.user_id == user_id
                )
            )
        return found is not None

    async def _watch(self, room: str) -> None:
        """Start the broker's feed for a room once; later subscribers wait for the same one."""
        task = self._watching.get(room)
        if task is None:
            task = self._watching[room] = asyncio.create_task(self.broker.watch(room))
        try:
            await asyncio.shield(task)
        except Exception:
            if self._watching.get(room) is task:
                del self._watching[room]
            raise

    async def subscribe(self, client: Client, room: str, since: str | None) -> None:
        """Register, then read the tail and check membership: no event can fall between.

        Live events arriving meanwhile wait in the room's buffer; backlog and buffer are
        merged by cursor, so the seam has neither a gap nor a duplicate.
        """
        project_id = project_of(room)
        if project_id is None:
            client.error("not_found", "No such room", room)
            return
        if since is not None and cursor_key(since) is None:
            client.error("bad_request", "since must be a cursor from this server", room)
            return
        if room in client.rooms:
            self.unsubscribe(client, room)
        if len(client.rooms) >= MAX_ROOMS:
            client.error("too_many_rooms", f"At most {MAX_ROOMS} rooms per connection", room)
            return
        state = client.rooms[room] = RoomState()
        self._rooms.setdefault(room, set()).add(client)
        try:
            await self._watch(room)
            cursor = tail = await self.broker.tail(room)
            if not await self._is_member(project_id, client.user.id):
                self._leave(client, room, state)
                client.error("not_found", "Project not found", room)
                return
            backlog: list[Entry] = []
            resync = False
            if since is not None:
                kept = await self.broker.backlog(room, since)
                resync = kept is None
                if kept is not None:
                    backlog, cursor = kept, since
            state.joined = True
            metrics.ROOM_SUBSCRIBERS.inc()
            await self._join(room, client)
            users = await self.broker.presence(room)
        except Exception:
            logger.exception("subscribe to %s failed", room)
            self._leave(client, room, state)
            client.error("unavailable", "Live updates are unavailable; retry", room)
            return
        if client.rooms.get(room) is not state:  # unsubscribed or revoked meanwhile
            return
        client.send(Subscribed(room=room, cursor=cursor, presence=users))
        if resync:
            client.send(Resync(room=room))
        key, tail_key = cursor_key(cursor), cursor_key(tail)
        assert key is not None and tail_key is not None
        state.key = key
        # The backlog waits for queue room (a long one must not count as "too slow").
        # Revocations up to the tail predate the membership check above: stale.
        for entry in backlog:
            if client.rooms.get(room) is not state or client.too_slow.is_set():
                return
            if entry.key > state.key:
                state.key = entry.key
                await client.put(event_frame(room, entry))
                metrics.EVENTS_DELIVERED.inc()
                if entry.key > tail_key and client.uid in entry.revoked:
                    self._revoke(client, room, state)
                    return
        caught_up, state.buffer = state.buffer or [], None
        for entry in caught_up:
            if client.rooms.get(room) is state:
                self._deliver(client, room, state, entry, event_frame(room, entry))

    def unsubscribe(self, client: Client, room: str) -> None:
        state = client.rooms.get(room)
        if state is not None:
            self._leave(client, room, state)

    def disconnect(self, client: Client) -> None:
        self._clients.discard(client)
        mine = self._by_user.get(client.uid, set())
        mine.discard(client)
        if not mine:
            self._by_user.pop(client.uid, None)
        for room, state in list(client.rooms.items()):
            self._leave(client, room, state)

    def _leave(self, client: Client, room: str, state: RoomState) -> None:
        if client.rooms.get(room) is state:
            del client.rooms[room]
        clients = self._rooms.get(room, set())
        clients.discard(client)
        if not clients:
            self._rooms.pop(room, None)
            self._watching.pop(room, None)
            self._spawn(self.broker.unwatch(room))
        if state.joined:
            state.joined = False
            metrics.ROOM_SUBSCRIBERS.dec()
            self._spawn(self._part(room, client))

    async def _join(self, room: str, client: Client) -> None:
        async with self._presence_locks.hold((room, client.uid)):
            self._local[room, client.uid] += 1
            if self._local[room, client.uid] == 1:
                await self.broker.join(room, client.actor)

    async def _part(self, room: str, client: Client) -> None:
        self._stop_typing(room, client)
        async with self._presence_locks.hold((room, client.uid)):
            self._local[room, client.uid] -= 1
            if self._local[room, client.uid] <= 0:
                del self._local[room, client.uid]
                await self.broker.leave(room, client.actor)

    # --- delivery (the broker's Sink) --------------------------------------------------

    def _deliver(
        self, client: Client, room: str, state: RoomState, entry: Entry, frame: bytes
    ) -> None:
        if entry.key <= state.key:
            return
        state.key = entry.key
        client.send(frame)
        metrics.EVENTS_DELIVERED.inc()
        if client.uid in entry.revoked:
            self._revoke(client, room, state)

    def _revoke(self, client: Client, room: str, state: RoomState) -> None:
        client.error("forbidden", "You no longer have access to this project", room)
        self._leave(client, room, state)

    def on_event(self, room: str, entry: Entry) -> None:
        frame = event_frame(room, entry)  # once per event, whatever the number of sockets
        for client in list(self._rooms.get(room, ())):
            state = client.rooms.get(room)
            if state is None:
                continue
            if state.buffer is not None:
                state.buffer.append(entry)
            else:
                self._deliver(client, room, state, entry, frame)
        metrics.EVENT_LAG.observe(time.time() - entry.key[0] / 1000)  # cursors are ms times

    def on_typing(self, room: str, frame: bytes, user_id: str) -> None:
        for client in self._rooms.get(room, ()):
            state = client.rooms.get(room)
            if client.uid != user_id and state is not None and state.buffer is None:
                client.send(frame)

    def on_gap(self, rooms: Iterable[str]) -> None:
        """Events of these rooms may have been lost: their subscribers refetch."""
        for room in rooms:
            frame = _encode(Resync(room=room))
            for client in self._rooms.get(room, ()):
                state = client.rooms.get(room)
                if state is not None and state.buffer is None:
                    client.send(frame)

    def on_user(self, user_id: str, frame: bytes) -> None:
        """Every socket of the user gets it, in a room or not (contract §8)."""
        for client in self._by_user.get(user_id, ()):
            client.send(frame)

    def on_presence(self, room: str) -> None:
        if room in self._presence_due:
            return  # already coming
        wait = self._presence_sent.get(room, -PRESENCE_INTERVAL) + PRESENCE_INTERVAL
        wait -= time.monotonic()
        if wait > 0:  # a thousand sockets joining at once get a few frames, not a thousand
            self._presence_due.add(room)
            asyncio.get_running_loop().call_later(wait, self._presence_now, room)
            return
        self._presence_now(room)

    def _presence_now(self, room: str) -> None:
        self._presence_due.discard(room)
        self._dirty.add(room)
        self._dirty_event.set()

    async def _presence_loop(self) -> None:
        """Recompute presence of changed rooms one at a time, so frames never reorder."""
        while True:
            await self._dirty_event.wait()
            self._dirty_event.clear()
            rooms, self._dirty = self._dirty, set()
            for room in rooms:
                if room not in self._rooms:
                    self._shown.pop(room, None)
                    self._presence_sent.pop(room, None)
                    continue
                self._presence_sent[room] = time.monotonic()
                try:
                    users = await self.broker.presence(room)
                except Exception as exc:
                    logger.warning("presence of %s: %s", room, exc)
                    continue
                if users == self._shown.get(room):
                    continue
                self._shown[room] = users
                frame = _encode(Presence(room=room, users=users))
                for client in self._rooms.get(room, ()):
                    state = client.rooms.get(room)
                    if state is not None and state.buffer is None:
                        client.send(frame)

    # --- typing ------------------------------------------------------------------------

    async def typing(self, client: Client, msg: SetTyping) -> None:
        if not client.may_type():
            return
        state = client.rooms.get(msg.room)
        if state is None or state.buffer is not None:
            client.error("not_subscribed", "Subscribe to the room first", msg.room)
            return
        key = (msg.room, client.uid, msg.task_id)
        timer = self._typing.pop(key, None)
        if timer is not None:
            timer.cancel()
        if msg.state == "start":
            loop = asyncio.get_running_loop()
            self._typing[key] = loop.call_later(TYPING_TTL, self._typing_expired, key, client)
        try:
            await self._announce_typing(msg.room, client, msg.task_id, msg.state)
        except Exception as exc:  # Redis away: the socket lives on, the typer is told
            logger.warning("typing in %s: %s", msg.room, exc)
            client.error("unavailable", "Live updates are unavailable; retry", msg.room)

    async def _announce_typing(
        self, room: str, client: Client, task_id: uuid.UUID | None, state: Literal["start", "stop"]
    ) -> None:
        frame = Typing(room=room, task_id=task_id, user=client.actor, state=state)
        await self.broker.typing(room, _encode(frame), client.uid)

    def _typing_expired(self, key: tuple[str, str, uuid.UUID | None], client: Client) -> None:
        self._typing.pop(key, None)
        self._spawn(self._announce_typing(key[0], client, key[2], "stop"))

    def _stop_typing(self, room: str, client: Client) -> None:
        for key in [k for k in self._typing if k[0] == room and k[1] == client.uid]:
            self._typing.pop(key).cancel()
            self._spawn(self._announce_typing(room, client, key[2], "stop"))
