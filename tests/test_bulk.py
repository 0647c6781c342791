"""Bulk changes (contract §9): up to 500 tasks in one request, all or nothing, one event and one
history entry per task; with a failpoint mid-transaction nothing of it stays."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.live import connected, room
from tests.support import ApiUser, MakeUser, Server, register, server_env
from tests.test_labels import label
from tests.test_tasks import shared_project


def tasks(user: ApiUser, pid: str, n: int) -> list[str]:
    out = []
    for i in range(n):
        r = user.client.post(f"/api/projects/{pid}/tasks", json={"title": f"task {i}"})
        assert r.status_code == 201, r.text
        out.append(str(r.json()["id"]))
    return out


def bulk(user: ApiUser, pid: str, body: dict[str, Any]) -> Any:
    return user.client.post(f"/api/projects/{pid}/tasks/bulk", json=body)


async def test_one_request_changes_many_tasks_each_its_own_event(
    make_user: MakeUser, server: Server
) -> None:
    owner, editor, pid = shared_project(make_user)
    ids = tasks(owner, pid, 5)
    bug, ui = label(owner, pid, "bug"), label(owner, pid, "ui")
    owner.client.patch(f"/api/tasks/{ids[0]}", json={"labels": [ui["id"]]}).raise_for_status()
    picked = [ids[3], ids[0], ids[1]]
    async with connected(server.ws_url, owner.token) as (live,):
        assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        r = bulk(
            editor,
            pid,
            {
                "task_ids": picked,
                "set": {
                    "status": "in_progress",
                    "priority": "urgent",
                    "assignee_id": owner.id,
                    "due_date": "2030-01-02",
                    "add_labels": [bug["id"]],
                    "remove_labels": [ui["id"]],
                },
            },
        )
        assert r.status_code == 200, r.text
        events = await live.events(3)
    got = r.json()["tasks"]
    assert [t["id"] for t in got] == picked
    for t in got:
        assert (t["status"], t["priority"], t["assignee_id"], t["due_date"]) == (
            "in_progress",
            "urgent",
            owner.id,
            "2030-01-02",
        )
        assert t["labels"] == [bug["id"]] and t["version"] == (3 if t["id"] == ids[0] else 2)
    assert [(e["event"], e["data"]) for e in events] == [("task:updated", t) for t in got]
    untouched = owner.client.get(f"/api/tasks/{ids[2]}").json()
    assert untouched["status"] == "todo" and untouched["version"] == 1
    entry = owner.client.get(f"/api/tasks/{ids[0]}/activity").json()["items"][0]
    assert entry["changes"]["labels"] == [[ui["id"]], [bug["id"]]]
    assert entry["changes"]["status"] == ["todo", "in_progress"]
    project_log = owner.client.get(f"/api/projects/{pid}/activity?limit=10").json()["items"]
    assert [e["task_id"] for e in project_log[:3]] == list(reversed(picked))
    # Clearing works too (null), and a label added twice stays once.
    r = bulk(
        owner, pid, {"task_ids": picked, "set": {"assignee_id": None, "add_labels": [bug["id"]]}}
    )
    assert r.status_code == 200, r.text
    assert all(t["assignee_id"] is None and t["labels"] == [bug["id"]] for t in r.json()["tasks"])


async def test_bulk_delete(make_user: MakeUser, server: Server) -> None:
    owner, editor, pid = shared_project(make_user)
    ids = tasks(owner, pid, 4)
    async with connected(server.ws_url, owner.token) as (live,):
        assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        r = bulk(editor, pid, {"task_ids": ids[:3], "delete": True})
        assert r.status_code == 200 and r.json() == {"deleted": 3}
        events = await live.events(3)
    assert [(e["event"], e["data"]["id"]) for e in events] == [("task:deleted", i) for i in ids[:3]]
    assert [t["id"] for t in owner.client.get(f"/api/projects/{pid}").json()["tasks"]] == [ids[3]]
    # Deleted ids are no tasks of this project any more.
    r = bulk(owner, pid, {"task_ids": [ids[3], ids[0]], "set": {"status": "done"}})
    assert r.status_code == 400 and r.json()["extra"] == {"missing": [ids[0]]}


def test_bad_bulk_requests_are_refused_and_change_nothing(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    viewer, stranger = make_user(), make_user()
    owner.client.post(
        f"/api/projects/{pid}/members", json={"username": viewer.username, "role": "viewer"}
    ).raise_for_status()
    ids = tasks(owner, pid, 3)
    other = stranger.client.post("/api/projects", json={"name": "Theirs"}).json()["id"]
    foreign_task = tasks(stranger, other, 1)[0]
    foreign_label = label(stranger, other, "bug")["id"]
    mine = label(owner, pid, "mine")["id"]
    before = owner.client.get(f"/api/projects/{pid}").json()
    bad: list[dict[str, Any]] = [
        {"task_ids": [], "set": {"status": "done"}},
        {"task_ids": [str(uuid.uuid4()) for _ in range(501)], "set": {"status": "done"}},
        {"task_ids": [ids[0], ids[0]], "set": {"status": "done"}},
        {"task_ids": [*ids, foreign_task], "set": {"status": "done"}},
        {"task_ids": [*ids, str(uuid.uuid4())], "delete": True},
        {"task_ids": ids, "set": {"status": "finished"}},
        {"task_ids": ids, "set": {"priority": "asap"}},
        {"task_ids": ids, "set": {"due_date": "soon"}},
        {"task_ids": ids, "set": {"assignee_id": stranger.id}},
        {"task_ids": ids, "set": {"add_labels": [foreign_label]}},
        {"task_ids": ids, "set": {"add_labels": [mine], "remove_labels": [mine]}},
        {"task_ids": ids, "set": {"title": "all the same"}},
        {"task_ids": ids, "set": {}},
        {"task_ids": ids},
        {"task_ids": ids, "set": {"status": "done"}, "delete": True},
        {"task_ids": ids, "delete": False},
        {"task_ids": ["not-an-id"], "delete": True},
    ]
    for body in bad:
        r = bulk(editor, pid, body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["status_code"] == 400 and r.json()["detail"]
    assert bulk(viewer, pid, {"task_ids": ids, "delete": True}).status_code == 403
    r = bulk(stranger, pid, {"task_ids": ids, "delete": True})
    assert r.status_code == 404 and r.json()["detail"] == "Project not found"
    assert owner.client.get(f"/api/projects/{pid}").json() == before


@pytest.fixture(scope="module")
def failing_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Every bulk change fails once all its rows are written, before the commit. PostgreSQL
    only: a server start is the cost of this test, and SQLite's transactions are no different."""
    if not database_url.startswith("postgresql"):
        pytest.skip("one backend is enough for the failpoint")
    env = server_env(
        tmp_path_factory.mktemp("bulk-fail"), database_url, TASKROOM_FAILPOINTS="tasks.fail_bulk=1"
    )
    srv = Server(env).start(timeout=90)
    yield srv
    srv.stop()


def test_a_failure_mid_transaction_leaves_every_task_as_it_was(failing_server: Server) -> None:
    owner = register(failing_server.url)
    try:
        pid = owner.client.post("/api/projects", json={"name": "Atomic"}).json()["id"]
        ids = tasks(owner, pid, 20)
        bug = label(owner, pid, "bug")["id"]
        before = owner.client.get(f"/api/projects/{pid}").json()
        history = owner.client.get(f"/api/projects/{pid}/activity?limit=50").json()
        body = {"status": "done", "assignee_id": owner.id, "add_labels": [bug]}
        assert bulk(owner, pid, {"task_ids": ids, "set": body}).status_code == 500
        assert bulk(owner, pid, {"task_ids": ids, "delete": True}).status_code == 500
        assert owner.client.get(f"/api/projects/{pid}").json() == before
        assert owner.client.get(f"/api/projects/{pid}/activity?limit=50").json() == history
    finally:
        owner.close()


@pytest.fixture(scope="module")
def echo_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server logging every SQL statement (PostgreSQL: the backend whose round trips count)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statements are counted on PostgreSQL")
    env = server_env(
        tmp_path_factory.mktemp("bulk-echo"), database_url, TASKROOM_FAILPOINTS="db.echo=1"
    )
    srv = Server(env).start(timeout=90)
    yield srv
    srv.stop()


def test_a_bulk_assignment_writes_its_notifications_in_one_statement(echo_server: Server) -> None:
    owner, editor = register(echo_server.url), register(echo_server.url)
    try:
        pid = owner.client.post("/api/projects", json={"name": "Many"}).json()["id"]
        r = owner.client.post(
            f"/api/projects/{pid}/members", json={"username": editor.username, "role": "editor"}
        )
        assert r.status_code == 201
        ids = tasks(owner, pid, 30)
        logged = len(echo_server.log())
        r = bulk(owner, pid, {"task_ids": ids, "set": {"assignee_id": editor.id}})
        assert r.status_code == 200, r.text
        insert = r"^\S+ \S+ INFO sqlalchemy\.engine\.Engine INSERT INTO notifications "
        inserts = len(re.findall(insert, echo_server.log()[logged:], re.M))
        assert inserts == 1
        inbox = editor.client.get("/api/me/notifications?limit=50").json()
        assert sorted(n["task"]["id"] for n in inbox["items"]) == sorted(ids)
        assert {n["kind"] for n in inbox["items"]} == {"assigned"}
    finally:
        owner.close()
        editor.close()
