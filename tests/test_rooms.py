"""Live rooms on one server: with the in-process broker and with Redis, on both databases."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame as WsFrame
from websockets.protocol import State
from websockets.uri import parse_uri

from tests.live import Live, connected, room
from tests.support import ApiUser, RedisServer, Server, register, server_env

MakeUser = Callable[[], ApiUser]


@pytest.fixture(scope="module", params=["memory", "redis"])
def live_server(
    request: pytest.FixtureRequest,
    database_url: str,
    redis_server: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    if request.param == "redis" and database_url.startswith("sqlite"):
        pytest.skip("the Redis broker does not depend on the database: run on PostgreSQL only")
    redis_url = redis_server.url if request.param == "redis" else None
    srv = Server(server_env(tmp_path_factory.mktemp("rooms"), database_url, redis_url)).start(
        timeout=90
    )
    yield srv
    srv.stop()


@pytest.fixture
def user(live_server: Server) -> Iterator[MakeUser]:
    users: list[ApiUser] = []

    def _make() -> ApiUser:
        users.append(register(live_server.url))
        return users[-1]

    yield _make
    for u in users:
        u.close()


def project_with(owner: ApiUser, *members: ApiUser, role: str = "editor") -> str:
    pid: str = owner.client.post("/api/projects", json={"name": "Room"}).json()["id"]
    for m in members:
        r = owner.client.post(
            f"/api/projects/{pid}/members", json={"username": m.username, "role": role}
        )
        assert r.status_code == 201, r.text
    return pid


async def test_handshake_needs_a_valid_token(live_server: Server) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        try:
            async with connect(live_server.ws_url, additional_headers=headers) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        except InvalidStatus as exc:  # a refused handshake is allowed too
            assert exc.response.status_code in (401, 403)


async def test_frames_go_out_uncompressed(user: MakeUser, live_server: Server) -> None:
    """The client offers permessage-deflate (websockets does by default); the server declines,
    so fan-out writes one frame's bytes to every socket instead of compressing each copy."""
    async with connect(
        live_server.ws_url, additional_headers={"Authorization": f"Bearer {user().token}"}
    ) as ws:
        assert ws.request is not None and ws.response is not None
        assert "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


async def test_every_mutation_reaches_every_member_in_order(
    user: MakeUser, live_server: Server
) -> None:
    alice, bob = user(), user()
    pid = project_with(alice, bob)
    async with connected(live_server.ws_url, alice.token, bob.token) as (a, b):
        for live in (a, b):
            assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        task = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "One"}).json()
        bob.client.patch(f"/api/tasks/{task['id']}", json={"status": "done"}).raise_for_status()
        alice.client.patch(f"/api/projects/{pid}", json={"name": "Renamed"}).raise_for_status()
        carol = register(live_server.url)
        alice.client.post(
            f"/api/projects/{pid}/members", json={"username": carol.username, "role": "viewer"}
        )
        alice.client.delete(f"/api/tasks/{task['id']}").raise_for_status()
        expected = [
            "task:created",
            "task:updated",
            "project:updated",
            "member:added",
            "task:deleted",
        ]
        actors = [alice.id, bob.id, alice.id, alice.id, alice.id]
        seen = []
        for live in (a, b):
            events = await live.events(len(expected))
            assert [e["event"] for e in events] == expected
            assert [e["actor"]["id"] for e in events] == actors
            assert all(e["room"] == room(pid) and e["ts"] for e in events)
            assert events[1]["data"]["status"] == "done"
            assert events[4]["data"] == {"id": task["id"], "project_id": pid}
            seen.append([e["cursor"] for e in events])
        assert seen[0] == seen[1] and len(set(seen[0])) == len(expected)
        carol.close()


async def test_non_members_and_unknown_rooms_get_not_found(
    user: MakeUser, live_server: Server
) -> None:
    alice, mallory = user(), user()
    pid = project_with(alice)
    async with connected(live_server.ws_url, mallory.token) as (live,):
        for name in (room(pid), room(str(uuid.uuid4())), "project:nope", "elsewhere"):
            answer = await live.subscribe(name)
            assert answer["type"] == "error" and answer["code"] == "not_found", answer
        await live.send(type="ping")
        assert (await live.expect("pong"))["type"] == "pong"
        await live.ws.send("{not json")
        assert (await live.expect("error"))["code"] == "bad_request"
        alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "secret"}).raise_for_status()
        assert not [f for f in await live.collect(1.0) if f["type"] == "event"]


async def test_presence_and_typing(user: MakeUser, live_server: Server) -> None:
    alice, bob = user(), user()
    pid = project_with(alice, bob)
    async with connected(live_server.ws_url, alice.token, bob.token) as (a, b):
        first = await a.subscribe(room(pid))
        assert [u["id"] for u in first["presence"]] == [alice.id]
        await b.subscribe(room(pid))
        both = sorted([alice.id, bob.id])
        frame = await _presence(a, lambda ids: sorted(ids) == both)
        assert frame["room"] == room(pid)
        task_id = str(uuid.uuid4())
        await b.send(type="typing", room=room(pid), task_id=task_id, state="start")
        typing = await a.expect("typing")
        assert (
            typing["user"]["id"] == bob.id
            and typing["state"] == "start"
            and typing["task_id"] == task_id
        )
        # Typing goes to the others only; and it stops by itself after 5 s.
        stop = await a.expect("typing", within=10, state="stop")
        assert stop["user"]["id"] == bob.id
        assert not [f for f in b.seen + await b.collect(0.3) if f["type"] == "typing"]
        await b.close()
        await _presence(a, lambda ids: ids == [alice.id])


async def test_typing_frames_are_rate_limited_per_socket(
    user: MakeUser, live_server: Server
) -> None:
    """A burst of 10, then 5 a second (api/rooms/hub.py); the rest are dropped, not relayed."""
    alice, bob = user(), user()
    pid = project_with(alice, bob)
    async with connected(live_server.ws_url, alice.token, bob.token) as (a, b):
        await a.subscribe(room(pid))
        await b.subscribe(room(pid))
        task_id = str(uuid.uuid4())
        frame = json.dumps(
            {"type": "typing", "room": room(pid), "task_id": task_id, "state": "start"}
        )
        started = time.monotonic()
        for _ in range(500):
            await b.ws.send(frame)
        await b.send(type="ping")
        await b.expect("pong")
        took = time.monotonic() - started  # every frame has been read by the server
        relayed = [f for f in await a.collect(1.0) if f["type"] == "typing"]
        assert 10 <= len(relayed) <= 10 + 5 * took, (len(relayed), took)
        refused = [f for f in b.seen if f["type"] == "error"]
        assert refused and {f["code"] for f in refused} == {"rate_limited"}
        assert len(refused) <= 1 + 5 * took
        await asyncio.sleep(0.5)  # the bucket refills: typing works again
        await b.ws.send(frame)
        assert (await a.expect("typing"))["user"]["id"] == bob.id


async def _presence(live: Live, ok: Callable[[list[str]], bool]) -> dict[str, object]:
    while True:
        frame = await live.expect("presence", within=15)
        if ok([u["id"] for u in frame["users"]]):
            return frame


async def test_removed_member_gets_forbidden_then_silence(
    user: MakeUser, live_server: Server
) -> None:
    alice, bob = user(), user()
    pid = project_with(alice, bob)
    async with connected(live_server.ws_url, alice.token, bob.token) as (a, b):
        await a.subscribe(room(pid))
        await b.subscribe(room(pid))
        assert alice.client.delete(f"/api/projects/{pid}/members/{bob.id}").status_code == 204
        error = await b.expect("error")
        assert error["code"] == "forbidden" and error["room"] == room(pid)
        alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "after"}).raise_for_status()
        assert (await a.expect("event", event="task:created"))["data"]["title"] == "after"
        assert not [f for f in await b.collect(1.0) if f.get("room") == room(pid)]
        # and resubscribing is refused like for any stranger
        assert (await b.subscribe(room(pid)))["code"] == "not_found"


async def test_deleted_project_revokes_everyone(user: MakeUser, live_server: Server) -> None:
    alice, bob = user(), user()
    pid = project_with(alice, bob)
    async with connected(live_server.ws_url, alice.token, bob.token) as (a, b):
        await a.subscribe(room(pid))
        await b.subscribe(room(pid))
        assert alice.client.delete(f"/api/projects/{pid}").status_code == 204
        for live in (a, b):
            assert (await live.expect("event"))["event"] == "project:deleted"
            assert (await live.expect("error"))["code"] == "forbidden"


async def test_resume_gets_every_missed_event_once_then_live(
    user: MakeUser, live_server: Server
) -> None:
    alice = user()
    pid = project_with(alice)
    task = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
    live = await Live.connect(live_server.ws_url, alice.token)
    cursor = (await live.subscribe(room(pid)))["cursor"]
    alice.client.patch(f"/api/tasks/{task['id']}", json={"title": "seen"}).raise_for_status()
    cursor = (await live.events(1))[0]["cursor"]
    await live.close()
    for i in range(5):
        alice.client.patch(
            f"/api/tasks/{task['id']}", json={"title": f"missed {i}"}
        ).raise_for_status()
    async with connected(live_server.ws_url, alice.token) as (live,):
        answer = await live.subscribe(room(pid), since=cursor)
        assert answer["type"] == "subscribed" and answer["cursor"] == cursor
        alice.client.patch(f"/api/tasks/{task['id']}", json={"title": "live"}).raise_for_status()
        events = await live.events(6)
        assert [e["data"]["title"] for e in events] == [*(f"missed {i}" for i in range(5)), "live"]
        assert [e["data"]["version"] for e in events] == list(range(3, 9))
        assert not [f for f in await live.collect(0.5) if f["type"] == "event"]


async def test_cursor_older_than_kept_gets_resync(user: MakeUser, live_server: Server) -> None:
    alice = user()
    pid = project_with(alice)
    async with connected(live_server.ws_url, alice.token) as (live,):
        if live_server.env.get("TASKROOM_REDIS_URL"):
            alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).raise_for_status()
            stale = "1-0"
            await _drop_stream(live_server.env["TASKROOM_REDIS_URL"], room(pid))  # expired
        else:
            stale = "1-0"  # before this process started: nothing that old is kept
        answer = await live.subscribe(room(pid), since=stale)
        assert answer["type"] == "subscribed"
        assert (await live.expect("resync"))["room"] == room(pid)
        alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "after"}).raise_for_status()
        assert (await live.expect("event"))["data"]["title"] == "after"
        bad = await live.subscribe(room(pid), since="yesterday")
        assert bad["type"] == "error" and bad["code"] == "bad_request"


MAX_ID = 2**64 - 1  # a stream id is two unsigned 64-bit numbers


async def test_out_of_range_or_malformed_cursors_are_bad_requests(
    user: MakeUser, live_server: Server
) -> None:
    alice = user()
    pid = project_with(alice)
    alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).raise_for_status()
    bad = [
        "99999999999999999999-0",
        f"{MAX_ID + 1}-0",
        f"0-{MAX_ID + 1}",
        "1-2-3",
        "-1-0",
        "1-",
        " 1-0",
        "1-0 ",
        "\u0661-\u0660",  # Arabic-Indic digits: str.isdigit() says yes, Redis says no
        "\u00b2-0",  # a superscript two: isdigit() yes, int() no
        "",
    ]
    async with connected(live_server.ws_url, alice.token) as (live,):
        for since in bad:
            answer = await live.subscribe(room(pid), since=since)
            assert answer["type"] == "error" and answer["code"] == "bad_request", since
        await live.send(type="subscribe", room=room(pid), since="1" * 5000 + "-0")
        assert (await live.expect("error"))["code"] == "bad_request"  # refused as a frame
        # the largest cursor there can be is well-formed: this stream never issued it
        answer = await live.subscribe(room(pid), since=f"{MAX_ID}-{MAX_ID}")
        assert answer["type"] == "subscribed"
        assert (await live.expect("resync"))["room"] == room(pid)
        await live.send(type="ping")
        assert (await live.expect("pong"))["type"] == "pong"
    assert "Traceback" not in live_server.log()


async def _drop_stream(redis_url: str, name: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    await client.delete(f"taskroom:room:{name}:events")
    await client.aclose()


async def test_rolled_back_writes_send_nothing(user: MakeUser, live_server: Server) -> None:
    alice, viewer = user(), user()
    pid = project_with(alice, viewer, role="viewer")
    task = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
    async with connected(live_server.ws_url, alice.token) as (live,):
        await live.subscribe(room(pid))
        stale = alice.client.patch(f"/api/tasks/{task['id']}", json={"title": "x", "version": 99})
        assert stale.status_code == 409
        bad = alice.client.patch(
            f"/api/tasks/{task['id']}", json={"assignee_id": str(uuid.uuid4())}
        )
        assert bad.status_code == 400
        assert (
            viewer.client.patch(f"/api/tasks/{task['id']}", json={"title": "v"}).status_code == 403
        )
        alice.client.patch(f"/api/tasks/{task['id']}", json={"title": "kept"}).raise_for_status()
        events = await live.events(1)
        assert events[0]["data"]["title"] == "kept" and events[0]["data"]["version"] == 2
        assert not [f for f in await live.collect(0.5) if f["type"] == "event"]


@pytest.fixture(scope="module")
def tiny_buffer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = server_env(
        tmp_path_factory.mktemp("slow"), None, TASKROOM_FAILPOINTS="rooms.send_buffer=16"
    )
    srv = Server(env).start(timeout=90)
    yield srv
    srv.stop()


class StalledReader:
    """A websocket client that subscribes and then stops reading its socket at all.

    A raw socket with a tiny receive buffer, spoken to through websockets' sans-I/O
    protocol, so no client library keeps draining it in the background.
    """

    def __init__(self, ws_url: str, token: str) -> None:
        uri = parse_uri(ws_url)
        self.proto = ClientProtocol(uri)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(30)
        self.sock.connect((uri.host, uri.port))
        request = self.proto.connect()
        request.headers["Authorization"] = f"Bearer {token}"
        self.proto.send_request(request)
        self._flush()
        self.frames: list[dict[str, Any]] = []
        self.read(until=lambda: self.proto.state is State.OPEN)

    def _flush(self) -> None:
        for chunk in self.proto.data_to_send():
            if chunk:
                self.sock.sendall(chunk)

    def send(self, **frame: Any) -> None:
        self.proto.send_text(json.dumps(frame).encode())
        self._flush()

    def read(self, until: Callable[[], bool]) -> None:
        while not until():
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                self.proto.receive_eof()
                return
            self.proto.receive_data(data)
            for event in self.proto.events_received():
                if isinstance(event, WsFrame) and event.opcode.name == "TEXT":
                    self.frames.append(json.loads(bytes(event.data)))

    def close(self) -> None:
        self.sock.close()


async def test_slow_reader_does_not_delay_a_fast_one(tiny_buffer_server: Server) -> None:
    srv = tiny_buffer_server
    alice = register(srv.url)
    pid = project_with(alice)
    task = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
    slow = StalledReader(srv.ws_url, alice.token)
    fast = await Live.connect(srv.ws_url, alice.token)
    try:
        slow.send(type="subscribe", room=room(pid))
        slow.read(until=lambda: any(f["type"] == "subscribed" for f in slow.frames))
        await fast.subscribe(room(pid))
        big = "x" * 19_000
        n = 300
        # The fast one reads all along (frames go out uncompressed: 300 of them fill any
        # buffer of a client that does not read, as the stalled one shows).
        reading = asyncio.create_task(fast.events(n, within=90))
        async with httpx.AsyncClient(base_url=srv.url, headers=alice.client.headers) as http:
            for i in range(n):
                r = await http.patch(f"/api/tasks/{task['id']}", json={"description": f"{i}{big}"})
                r.raise_for_status()
        events = await reading
        assert [e["data"]["version"] for e in events] == list(range(2, n + 2))
        # The stalled one is cut off with 4008 (contract §5), never left with a silent gap:
        # once it reads again, the frames it was sent end in that close frame.
        await asyncio.to_thread(slow.read, until=lambda: slow.proto.close_rcvd is not None)
        close = slow.proto.close_rcvd
        assert close is not None and close.code == 4008, slow.proto.state
        versions = [f["data"]["version"] for f in slow.frames if f["type"] == "event"]
        assert len(versions) < n and versions == list(range(2, 2 + len(versions)))
    finally:
        slow.close()
        await fast.close()
        alice.close()


async def test_a_backlog_longer_than_the_buffer_is_replayed(tiny_buffer_server: Server) -> None:
    srv = tiny_buffer_server
    alice = register(srv.url)
    pid = project_with(alice)
    task = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
    async with connected(srv.ws_url, alice.token) as (live,):
        cursor = (await live.subscribe(room(pid)))["cursor"]
    n = 60  # the server queues at most 16 frames per socket
    for i in range(n):
        alice.client.patch(f"/api/tasks/{task['id']}", json={"title": f"{i}"}).raise_for_status()
    async with connected(srv.ws_url, alice.token) as (live,):
        assert (await live.subscribe(room(pid), since=cursor))["type"] == "subscribed"
        events = await live.events(n)
        assert [e["data"]["version"] for e in events] == list(range(2, n + 2))
    alice.close()
