"""Checklists (contract §9): one row per item, in position order, each change a newer task in
the room; two people ticking two items at once both stick; at most 100 items."""

from __future__ import annotations

import functools
from typing import Any

from tests.live import connected, room
from tests.support import ApiUser, MakeUser, Server
from tests.test_tasks import at_once, shared_project


def add(user: ApiUser, task_id: str, text: str, **fields: Any) -> dict[str, Any]:
    r = user.client.post(f"/api/tasks/{task_id}/checklist", json={"text": text, **fields})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def new_task(user: ApiUser, pid: str) -> dict[str, Any]:
    r = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "Release"})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_items_are_added_ticked_moved_and_removed_one_at_a_time(
    make_user: MakeUser, server: Server
) -> None:
    owner, editor, pid = shared_project(make_user)
    task = new_task(owner, pid)
    url = f"/api/tasks/{task['id']}"
    async with connected(server.ws_url, owner.token) as (live,):
        assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        a = add(owner, task["id"], "write notes")
        assert set(a) == {"id", "text", "done", "position"} and a["done"] is False
        b = add(editor, task["id"], "tag", done=True)
        first = add(owner, task["id"], "freeze", position=a["position"] - 1)
        r = editor.client.patch(f"/api/checklist/{a['id']}", json={"done": True, "text": "notes"})
        assert r.status_code == 200 and r.json() == {**a, "done": True, "text": "notes"}
        r = owner.client.patch(
            f"/api/checklist/{b['id']}", json={"position": first["position"] - 1}
        )
        assert r.status_code == 200
        assert owner.client.delete(f"/api/checklist/{first['id']}").status_code == 204
        events = await live.events(6)
    assert [e["event"] for e in events] == ["task:updated"] * 6
    versions = [e["data"]["version"] for e in events]
    assert versions == list(range(task["version"] + 1, task["version"] + 7))
    now = owner.client.get(url).json()
    assert events[-1]["data"] == now
    assert [(i["text"], i["done"]) for i in now["checklist"]] == [("tag", True), ("notes", True)]
    detail = owner.client.get(f"/api/projects/{pid}").json()
    assert detail["tasks"][0]["checklist"] == now["checklist"]
    history = owner.client.get(f"{url}/activity").json()["items"]
    assert history[0]["summary"] == "changed checklist of 'Release'"
    assert history[0]["changes"]["checklist"][1] is None  # removed
    # A versioned save of the task made before the ticks is stale now (the task changed).
    r = owner.client.patch(url, json={"title": "x", "version": task["version"]})
    assert r.status_code == 409


def test_two_people_ticking_two_items_at_once_both_stick(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    task = new_task(owner, pid)
    for round_ in range(6):
        a, b = add(owner, task["id"], f"a{round_}"), add(owner, task["id"], f"b{round_}")
        ra, rb = at_once(
            functools.partial(owner.client.patch, f"/api/checklist/{a['id']}", json={"done": True}),
            functools.partial(
                editor.client.patch, f"/api/checklist/{b['id']}", json={"done": True}
            ),
        )
        assert (ra.status_code, rb.status_code) == (200, 200), (ra.text, rb.text)
        items = {
            i["id"]: i["done"]
            for i in owner.client.get(f"/api/tasks/{task['id']}").json()["checklist"]
        }
        assert items[a["id"]] and items[b["id"]], f"round {round_}"
    # Two appends at once: both kept, at distinct positions.
    ra, rb = at_once(
        functools.partial(
            owner.client.post, f"/api/tasks/{task['id']}/checklist", json={"text": "x"}
        ),
        functools.partial(
            editor.client.post, f"/api/tasks/{task['id']}/checklist", json={"text": "y"}
        ),
    )
    assert (ra.status_code, rb.status_code) == (201, 201)
    assert ra.json()["position"] != rb.json()["position"]
    final = owner.client.get(f"/api/tasks/{task['id']}").json()
    assert len(final["checklist"]) == 14
    assert final["version"] == task["version"] + 12 + 12 + 2


def test_bad_items_are_400_or_404_and_change_nothing(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    stranger = make_user()
    task = new_task(owner, pid)
    item = add(owner, task["id"], "one")
    for i in range(99):
        add(owner, task["id"], f"item {i}")
    before = owner.client.get(f"/api/tasks/{task['id']}").json()
    assert len(before["checklist"]) == 100
    base = f"/api/tasks/{task['id']}/checklist"
    for body in (
        {"text": "the 101st"},
        {"text": ""},
        {"text": "x" * 501},
        {"text": "a\nb"},
        {"text": "a\x07b"},
        {"text": "ok", "done": "yes"},
        {"text": "ok", "position": "first"},
        {"text": "ok", "task_id": task["id"]},
    ):
        r = owner.client.post(base, json=body)
        assert r.status_code == 400, (body, r.text)
    for body in ({"text": ""}, {"done": None}, {"text": "a\u2028b"}, {"position": 1e13}):
        r = owner.client.patch(f"/api/checklist/{item['id']}", json=body)
        assert r.status_code == 400, (body, r.text)
    assert owner.client.get(f"/api/tasks/{task['id']}").json() == before
    # Someone else's item, or none at all, is a 404 that says nothing more.
    for r in (
        stranger.client.patch(f"/api/checklist/{item['id']}", json={"done": True}),
        stranger.client.delete(f"/api/checklist/{item['id']}"),
    ):
        assert r.status_code == 404 and r.json()["detail"] == "Checklist item not found"
    assert stranger.client.post(base, json={"text": "mine"}).status_code == 404
    assert owner.client.delete(f"/api/checklist/{item['id']}").status_code == 204
    assert owner.client.delete(f"/api/checklist/{item['id']}").status_code == 404
    # The task goes, its items with it.
    assert owner.client.delete(f"/api/tasks/{task['id']}").status_code == 204
    r = owner.client.patch(f"/api/checklist/{before['checklist'][1]['id']}", json={"done": True})
    assert r.status_code == 404
    assert editor.client.get(f"/api/projects/{pid}").json()["tasks"] == []
