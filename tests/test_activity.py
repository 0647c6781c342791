"""Activity history (contract §8): one entry per committed event, in the change's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import ApiUser, MakeUser, Server, register, server_env, wait_until


def history(user: ApiUser, path: str, **params: Any) -> dict[str, Any]:
    r = user.client.get(path, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_every_change_has_an_entry(make_user: MakeUser) -> None:
    owner, editor, viewer = make_user(), make_user(), make_user()
    pid = owner.client.post("/api/projects", json={"name": "History"}).json()["id"]
    for user, role in ((editor, "editor"), (viewer, "viewer")):
        owner.client.post(
            f"/api/projects/{pid}/members", json={"username": user.username, "role": role}
        ).raise_for_status()
    task = editor.client.post(f"/api/projects/{pid}/tasks", json={"title": "Write"}).json()
    tid = task["id"]
    editor.client.patch(
        f"/api/tasks/{tid}", json={"status": "done", "title": "Written", "priority": "medium"}
    ).raise_for_status()
    c = owner.client.post(f"/api/tasks/{tid}/comments", json={"body": "nice"}).json()
    owner.client.patch(f"/api/comments/{c['id']}", json={"body": "very nice"}).raise_for_status()
    owner.client.delete(f"/api/tasks/{tid}").raise_for_status()

    page = history(viewer, f"/api/projects/{pid}/activity")
    assert page["next"] is None
    events = [e["event"] for e in page["items"]]
    assert events == [
        "task:deleted",
        "comment:updated",
        "comment:created",
        "task:updated",
        "task:created",
        "member:added",
        "member:added",
        "project:created",
    ]
    by_event = {e["event"]: e for e in page["items"]}
    update = by_event["task:updated"]
    # only what really changed: priority was already "medium"
    assert update["changes"] == {"status": ["todo", "done"], "title": ["Write", "Written"]}
    assert update["actor"] == {"id": editor.id, "username": editor.username}
    assert update["task_id"] == tid and "Written" in update["summary"]
    assert by_event["comment:updated"]["changes"] == {"body": ["nice", "very nice"]}
    assert by_event["comment:created"]["task_id"] == tid
    assert "Written" in by_event["task:deleted"]["summary"]
    assert by_event["member:added"]["task_id"] is None
    assert by_event["project:created"]["actor"]["id"] == owner.id
    ats = [e["at"] for e in page["items"]]
    assert ats == sorted(ats, reverse=True)


def test_task_activity_and_paging(make_user: MakeUser) -> None:
    owner = make_user()
    pid = owner.client.post("/api/projects", json={"name": "Pages"}).json()["id"]
    tid = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "t0"}).json()["id"]
    other = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "o"}).json()["id"]
    for i in range(1, 7):
        owner.client.patch(f"/api/tasks/{tid}", json={"title": f"t{i}"}).raise_for_status()
    owner.client.patch(f"/api/tasks/{other}", json={"title": "o2"}).raise_for_status()

    whole = history(owner, f"/api/tasks/{tid}/activity")
    assert len(whole["items"]) == 7 and whole["next"] is None
    assert all(e["task_id"] == tid for e in whole["items"])
    seen: list[dict[str, Any]] = []
    before = None
    while True:
        params = {"limit": 3} | ({"before": before} if before else {})
        page = history(owner, f"/api/tasks/{tid}/activity", **params)
        seen += page["items"]
        before = page["next"]
        if before is None:
            break
        assert len(page["items"]) == 3
    assert seen == whole["items"]
    assert [e["changes"].get("title", [None, None])[1] for e in seen[:6]] == [
        f"t{i}" for i in range(6, 0, -1)
    ]

    project = history(owner, f"/api/projects/{pid}/activity", limit=2)
    assert [e["event"] for e in project["items"]] == ["task:updated", "task:updated"]
    assert project["items"][0]["task_id"] == other and project["next"]
    rest = history(owner, f"/api/projects/{pid}/activity", limit=200, before=project["next"])
    assert len(rest["items"]) == 10 - 2 and rest["next"] is None  # + create project, 2 tasks


def test_activity_bad_input_and_outsiders(make_user: MakeUser) -> None:
    owner, outsider = make_user(), make_user()
    pid = owner.client.post("/api/projects", json={"name": "Closed"}).json()["id"]
    tid = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "x"}).json()["id"]
    for path in (f"/api/projects/{pid}/activity", f"/api/tasks/{tid}/activity"):
        assert outsider.client.get(path).status_code == 404
        for params in ({"limit": 0}, {"limit": 201}, {"limit": "x"}, {"before": "nope"}):
            r = owner.client.get(path, params=params)
            assert r.status_code == 400, (path, params, r.text)
    # a cursor from another history is bad input, not a silent empty page
    elsewhere = outsider.client.post("/api/projects", json={"name": "Mine"}).json()["id"]
    foreign = history(outsider, f"/api/projects/{elsewhere}/activity")["items"][0]["id"]
    r = owner.client.get(f"/api/projects/{pid}/activity", params={"before": foreign})
    assert r.status_code == 400


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Every transaction with a task update fails after its activity entries are written."""
    env = server_env(
        tmp_path_factory.mktemp("activity-fail"),
        None,
        TASKROOM_FAILPOINTS="activity.fail_task_updates=1",
    )
    srv = Server(env).start(timeout=90)
    yield srv
    srv.stop()


def test_a_failed_commit_leaves_neither_change_nor_entry(failing_server: Server) -> None:
    owner = register(failing_server.url)
    try:
        pid = owner.client.post("/api/projects", json={"name": "Atomic"}).json()["id"]
        tid = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "keep"}).json()["id"]
        r = owner.client.patch(f"/api/tasks/{tid}", json={"title": "lost"})
        assert r.status_code == 500
        assert owner.client.get(f"/api/tasks/{tid}").json()["title"] == "keep"
        events = [e["event"] for e in history(owner, f"/api/projects/{pid}/activity")["items"]]
        assert events == ["task:created", "project:created"]
    finally:
        owner.close()


def test_exports_and_member_removal_have_entries(make_user: MakeUser) -> None:
    owner, viewer = make_user(), make_user()
    pid = owner.client.post("/api/projects", json={"name": "Ops"}).json()["id"]
    owner.client.post(
        f"/api/projects/{pid}/members", json={"username": viewer.username, "role": "viewer"}
    ).raise_for_status()
    for i in range(3):
        owner.client.post(f"/api/projects/{pid}/tasks", json={"title": f"t{i}"}).raise_for_status()
    job = owner.client.post(f"/api/projects/{pid}/exports", json={"format": "csv"}).json()
    wait_until(
        lambda: owner.client.get(f"/api/exports/{job['id']}").json()["status"] == "COMPLETED",
        what="the export",
    )
    owner.client.delete(f"/api/projects/{pid}/members/{viewer.id}").raise_for_status()
    items = history(owner, f"/api/projects/{pid}/activity")["items"]
    assert items[0]["event"] == "member:removed" and viewer.username in items[0]["summary"]
    exports = [e["summary"] for e in items if e["event"] == "export:updated"]
    assert exports[0] == "export csv completed" and exports[-1] == "export csv pending"
    assert len(exports) <= 3  # pending, processing, completed: no progress ticks
    # the removed member no longer sees the history
    assert viewer.client.get(f"/api/projects/{pid}/activity").status_code == 404


def test_project_update_records_old_and_new(make_user: MakeUser) -> None:
    owner = make_user()
    pid = owner.client.post("/api/projects", json={"name": "Before"}).json()["id"]
    owner.client.patch(
        f"/api/projects/{pid}", json={"name": "After", "description": ""}
    ).raise_for_status()
    version = owner.client.get(f"/api/projects/{pid}").json()["version"]
    owner.client.patch(
        f"/api/projects/{pid}", json={"description": "d", "version": version}
    ).raise_for_status()
    items = history(owner, f"/api/projects/{pid}/activity")["items"]
    assert [e["changes"] for e in items[:2]] == [
        {"description": ["", "d"]},
        {"name": ["Before", "After"]},
    ]
    assert "name" in items[1]["summary"]
