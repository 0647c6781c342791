"""Cache keys, TTLs and invalidation rules (contract §4), and hits that skip the database."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, get_args

import httpx
import msgspec
import pytest
from litestar.serialization import encode_json

from api.cache.keys import keys_to_drop
from api.domain.errors import NotFound
from api.domain.projects.reads import for_member
from api.events import DomainEvent
from api.wire import EventName, Member, ProjectDetail, TaskCounts
from tests.cache_support import (
    cache_server,
    new_project,
    raw_redis,
    reads,
    statements,
    users,
)
from tests.support import ApiUser, RedisServer, Server, wait_until

# --- the pure parts ------------------------------------------------------------------------


def _detail(role: Any, members: list[Member], text: str) -> ProjectDetail:
    return ProjectDetail(
        id=uuid.uuid4(),
        name=text,
        description=text,
        owner_id=members[0].user_id,
        role=role,
        task_counts=TaskCounts(),
        version=1,
        updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        members=members,
        tasks=[],
    )


def test_splice_gives_the_uncached_bytes_even_with_hostile_text() -> None:
    owner, viewer, outsider = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    hostile = f'"role":null,{{"user_id":"{outsider}","username":"x","role":"owner"}}'
    members = [
        Member(user_id=owner, username="ann", display_name=hostile, role="owner"),
        Member(user_id=viewer, username="bob", display_name=hostile, role="viewer"),
    ]
    shared = encode_json(_detail(None, members, hostile))
    for member in members:
        expected = encode_json(_detail(member.role, members, hostile).__replace__(id=None))
        got = msgspec.json.decode(for_member(shared, member.user_id))
        assert got["role"] == member.role
        assert got["name"] == hostile
        assert encode_json({**got, "id": None}) == encode_json(
            {**msgspec.json.decode(expected), "id": None}
        )
    with pytest.raises(NotFound):
        for_member(shared, outsider)


RULES: dict[EventName, set[str]] = {
    "project:created": {"lists"},
    "project:deleted": {"project", "lists"},
    "project:updated": {"project", "lists"},
    "member:added": {"project", "lists"},
    "member:removed": {"project", "lists"},
    "task:created": {"project", "lists"},
    "task:updated": {"project", "lists"},
    "task:deleted": {"project", "lists"},
    "export:updated": set(),
    "import:updated": set(),  # but the finished one: test_a_finished_import_drops_keys
    # a task's comment_count is in the project body, not in the lists (contract §8)
    "comment:created": {"project"},
    "comment:updated": {"project"},
    "comment:deleted": {"project"},
    # the project's labels are in its body, not in the lists (contract §9)
    "label:created": {"project"},
    "label:updated": {"project"},
    "label:deleted": {"project"},
}


def test_every_event_has_a_rule() -> None:
    assert set(RULES) == set(get_args(EventName))


@pytest.mark.parametrize("name", list(RULES))
def test_drop_table_follows_the_contract(name: EventName) -> None:
    pid, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = DomainEvent(name=name, project_id=pid, data={}, actor=None, member_ids=(a, b))
    expected = set()
    if "project" in RULES[name]:
        expected.add(f"v1:project:{pid}")
    if "lists" in RULES[name]:
        expected |= {f"v1:projects:user:{a}", f"v1:projects:user:{b}"}
    assert set(keys_to_drop([event, event])) == expected
    assert len(keys_to_drop([event, event])) == len(expected)


def test_a_finished_import_drops_keys() -> None:
    pid, a = uuid.uuid4(), uuid.uuid4()
    done = DomainEvent(
        name="import:updated",
        project_id=pid,
        data={"status": "COMPLETED"},
        actor=None,
        member_ids=(a,),
    )
    assert keys_to_drop([done]) == [f"v1:project:{pid}", f"v1:projects:user:{a}"]


# --- a real server with the cache on -------------------------------------------------------


@pytest.fixture(scope="module")
def cached(
    database_url: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with cache_server(tmp_path_factory.mktemp("cache"), database_url, redis_server) as srv:
        yield srv


@pytest.fixture(scope="module")
def people(cached: Server) -> Iterator[list[ApiUser]]:
    """Alice, Bob and Carol on the cached server."""
    with users(cached, 3) as trio:
        yield trio


def test_key_names_and_ttls(
    cached: Server, redis_server: RedisServer, people: list[ApiUser]
) -> None:
    alice, bob, _carol = people
    pid = new_project(alice, bob)
    r = raw_redis(redis_server)
    assert alice.client.get(f"/api/projects/{pid}").status_code == 200
    assert 110 <= r.ttl(f"v1:project:{pid}") <= 120
    assert alice.client.get("/api/projects").status_code == 200
    assert 290 <= r.ttl(f"v1:projects:user:{alice.id}") <= 300
    assert r.ttl(f"v1:projects:user:{bob.id}") == -2  # Bob has not read his list yet
    body = r.get(f"v1:project:{pid}")
    assert isinstance(body, bytes)
    stored = msgspec.json.decode(body)
    assert stored["id"] == pid and stored["role"] is None
    assert {m["user_id"] for m in stored["members"]} == {alice.id, bob.id}
    listed = r.get(f"v1:projects:user:{alice.id}")
    assert isinstance(listed, bytes)
    assert msgspec.json.decode(listed) == alice.client.get("/api/projects").json()


def test_a_hit_skips_the_database(
    cached: Server, redis_server: RedisServer, people: list[ApiUser]
) -> None:
    alice, bob, _carol = people
    pid = new_project(alice, bob)
    for user in (alice, bob):  # fill: each list key, and the shared project key once
        assert user.client.get("/api/projects").status_code == 200
        assert user.client.get(f"/api/projects/{pid}").status_code == 200
    before = statements(cached)
    for _ in range(5):
        for user in (alice, bob):
            assert user.client.get("/api/projects").status_code == 200
            detail = user.client.get(f"/api/projects/{pid}").json()
            assert detail["role"] == ("owner" if user is alice else "editor")
    assert statements(cached) == before
    raw_redis(redis_server).delete(f"v1:project:{pid}")
    assert alice.client.get(f"/api/projects/{pid}").status_code == 200
    assert statements(cached) > before  # the counter does see a miss


def test_a_task_edit_reads_the_task_and_role_at_once_and_no_project(
    cached: Server, people: list[ApiUser]
) -> None:
    """Each statement of a write is a round trip before its event can reach the room."""
    alice, bob, _carol = people
    pid = new_project(alice, bob)
    tid = bob.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()["id"]
    label = alice.client.post(f"/api/projects/{pid}/labels", json={"name": "bug"}).json()["id"]
    assert bob.client.patch(f"/api/tasks/{tid}", json={"labels": [label]}).status_code == 200
    item = bob.client.post(f"/api/tasks/{tid}/checklist", json={"text": "step"})
    assert item.status_code == 201, item.text
    tables = ("tasks", "memberships", "projects", "task_labels", "checklist_items")

    def entries() -> int:
        return cached.log().count("INSERT INTO activity_entries")

    wait_until(lambda: entries() >= 4, what="the task's history written")
    before, written = {t: reads(cached, t) for t in tables}, entries()
    r = bob.client.patch(f"/api/tasks/{tid}", json={"title": "u"})
    assert r.status_code == 200
    assert r.json()["labels"] == [label] and [i["text"] for i in r.json()["checklist"]] == ["step"]
    wait_until(lambda: entries() > written, what="the edit's history in the log")  # its last
    # the task with Bob's role; its labels and checklist once, with the written row; the
    # members whose lists it touches; nothing of the project
    assert {t: reads(cached, t) - before[t] for t in tables} == {
        "tasks": 1,
        "memberships": 1,
        "projects": 0,
        "task_labels": 1,
        "checklist_items": 1,
    }


def test_non_member_gets_404_from_a_cached_body(cached: Server, people: list[ApiUser]) -> None:
    alice, bob, carol = people
    pid = new_project(alice, bob)
    assert alice.client.get(f"/api/projects/{pid}").status_code == 200  # cached now
    r = carol.client.get(f"/api/projects/{pid}")
    assert r.status_code == 404
    assert r.json()["detail"] == "Project not found"


def test_cached_and_uncached_bodies_are_identical(
    cached: Server, server: Server, people: list[ApiUser]
) -> None:
    """`server` runs without Redis on the same database: same bytes either way."""
    alice, bob, _carol = people
    pid = new_project(alice, bob)
    alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "Ship", "priority": "high"})
    for user in (alice, bob):
        with httpx.Client(base_url=server.url, headers=user.client.headers) as plain:
            for path in ("/api/projects", f"/api/projects/{pid}"):
                user.client.get(path)  # fill
                hit = user.client.get(path)
                assert hit.content == plain.get(path).content
                assert hit.headers["content-type"] == "application/json"


Write = Callable[[ApiUser, ApiUser, ApiUser, str], httpx.Response]


def _task(alice: ApiUser, pid: str) -> str:
    r = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "first"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


WRITES: dict[str, tuple[Write, set[str]]] = {
    "project updated": (
        lambda a, b, c, pid: a.client.patch(f"/api/projects/{pid}", json={"name": "Renamed"}),
        {"project", "lists"},
    ),
    "member added": (
        lambda a, b, c, pid: a.client.post(
            f"/api/projects/{pid}/members",
            json={"username": c.username, "role": "viewer"},
        ),
        {"project", "lists"},
    ),
    "member changed": (
        lambda a, b, c, pid: a.client.patch(
            f"/api/projects/{pid}/members/{b.id}", json={"role": "viewer"}
        ),
        {"project", "lists"},
    ),
    "member removed": (
        lambda a, b, c, pid: a.client.delete(f"/api/projects/{pid}/members/{b.id}"),
        {"project", "lists"},
    ),
    "task created": (
        lambda a, b, c, pid: a.client.post(f"/api/projects/{pid}/tasks", json={"title": "new"}),
        {"project", "lists"},
    ),
    "task updated": (
        lambda a, b, c, pid: a.client.patch(f"/api/tasks/{_task(a, pid)}", json={"status": "done"}),
        {"project", "lists"},
    ),
    "task deleted": (
        lambda a, b, c, pid: a.client.delete(f"/api/tasks/{_task(a, pid)}"),
        {"project", "lists"},
    ),
    "project deleted": (
        lambda a, b, c, pid: a.client.delete(f"/api/projects/{pid}"),
        {"project", "lists"},
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_drops_its_keys(
    cached: Server, redis_server: RedisServer, write: str, people: list[ApiUser]
) -> None:
    alice, bob, carol = people
    pid = new_project(alice, bob)
    r = raw_redis(redis_server)
    keys = {
        "project": [f"v1:project:{pid}"],
        "lists": [f"v1:projects:user:{alice.id}", f"v1:projects:user:{bob.id}"],
    }
    if write.startswith("task "):
        _task(alice, pid)  # so a task write has company and the fill below sees it
    for user in (alice, bob):
        assert user.client.get("/api/projects").status_code == 200
        assert user.client.get(f"/api/projects/{pid}").status_code == 200
    cached_before = {k: r.get(k) for ks in keys.values() for k in ks}
    assert all(cached_before.values())
    action, dropped = WRITES[write]
    response = action(alice, bob, carol, pid)
    assert response.status_code < 300, response.text
    for kind, ks in keys.items():
        for k in ks:
            value = r.get(k)
            if kind in dropped:
                assert value != cached_before[k], f"{write} left {k}"
    # And the next reads show the write.
    after = {
        user.username: (
            user.client.get("/api/projects").json(),
            user.client.get(f"/api/projects/{pid}"),
        )
        for user in (alice, bob)
    }
    a_list, a_detail = after[alice.username]
    if write == "project deleted":
        assert a_detail.status_code == 404 and not any(p["id"] == pid for p in a_list)
    elif write == "member removed":
        assert after[bob.username][1].status_code == 404
        assert not any(p["id"] == pid for p in after[bob.username][0])
    else:
        assert a_detail.status_code == 200
        assert a_detail.content != cached_before[f"v1:project:{pid}"]


def test_project_created_drops_the_creators_list(
    cached: Server, redis_server: RedisServer, people: list[ApiUser]
) -> None:
    alice, _bob, _carol = people
    assert alice.client.get("/api/projects").status_code == 200
    assert raw_redis(redis_server).exists(f"v1:projects:user:{alice.id}")
    r = alice.client.post("/api/projects", json={"name": "Second"})
    assert r.status_code == 201
    assert not raw_redis(redis_server).exists(f"v1:projects:user:{alice.id}")
    assert r.json()["id"] in [p["id"] for p in alice.client.get("/api/projects").json()]


def test_readers_racing_writers_never_read_older_state(
    cached: Server, people: list[ApiUser]
) -> None:
    """Every read that starts after a write's response shows that write or a newer one."""
    alice, bob, _carol = people
    pid = new_project(alice, bob)
    acked = {"version": 0, "tasks": 0}  # what the writers' responses have confirmed so far
    lock = threading.Lock()
    writers_left = [2]
    done = threading.Event()
    stale: list[str] = []
    reads = [0]

    def finished() -> None:
        with lock:
            writers_left[0] -= 1
            if not writers_left[0]:
                done.set()

    def rename(i: int) -> None:
        r = alice.client.patch(f"/api/projects/{pid}", json={"name": f"v{i}"})
        assert r.status_code == 200, r.text
        with lock:
            acked["version"] = max(acked["version"], r.json()["version"])

    def add_task(i: int) -> None:
        r = bob.client.post(f"/api/projects/{pid}/tasks", json={"title": f"t{i}"})
        assert r.status_code == 201, r.text
        with lock:
            acked["tasks"] += 1

    def write(step: Callable[[int], None]) -> None:
        try:
            for i in range(12):
                step(i)
        finally:
            finished()

    def read(user: ApiUser, detail: bool) -> None:
        with httpx.Client(base_url=cached.url, headers=user.client.headers, timeout=30) as client:
            while not done.is_set():
                with lock:
                    floor = dict(acked)
                if detail:
                    body = client.get(f"/api/projects/{pid}").json()
                    seen = {"version": body["version"], "tasks": len(body["tasks"])}
                else:
                    listed = client.get("/api/projects").json()
                    p = next(p for p in listed if p["id"] == pid)
                    seen = {"version": p["version"], "tasks": sum(p["task_counts"].values())}
                with lock:
                    reads[0] += 1
                if seen["version"] < floor["version"] or seen["tasks"] < floor["tasks"]:
                    stale.append(f"{user.username} detail={detail}: saw {seen} after {floor}")

    threads = [threading.Thread(target=write, args=(step,)) for step in (rename, add_task)]
    threads += [
        threading.Thread(target=read, args=(user, detail))
        for user in (alice, bob)
        for detail in (True, False, True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not stale, stale
    assert acked == {"version": 13, "tasks": 12}  # both writers got through
    assert reads[0] >= 24
