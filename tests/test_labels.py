"""Labels (contract §9): per project, unique ignoring case, on tasks, in the project body and
the room, and the task list's new filters (label, no assignee, due dates, overdue)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.live import connected, room
from tests.support import ApiUser, MakeUser, Server
from tests.test_exports import download, export


def project(owner: ApiUser, *, viewer: ApiUser | None = None) -> str:
    pid = str(owner.client.post("/api/projects", json={"name": "Labelled"}).json()["id"])
    if viewer is not None:
        r = owner.client.post(
            f"/api/projects/{pid}/members", json={"username": viewer.username, "role": "viewer"}
        )
        assert r.status_code == 201, r.text
    return pid


def label(user: ApiUser, pid: str, name: str, color: str = "blue") -> dict[str, Any]:
    r = user.client.post(f"/api/projects/{pid}/labels", json={"name": name, "color": color})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def task(user: ApiUser, pid: str, **fields: Any) -> dict[str, Any]:
    r = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "t", **fields})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_labels_live_in_their_project(make_user: MakeUser) -> None:
    owner, viewer = make_user(), make_user()
    pid = project(owner, viewer=viewer)
    bug = label(owner, pid, "bug", "red")
    assert set(bug) == {"id", "project_id", "name", "color"}
    assert bug["project_id"] == pid and bug["color"] == "red"
    label(owner, pid, "Alpha")  # listed by name, ignoring case
    names = [x["name"] for x in viewer.client.get(f"/api/projects/{pid}/labels").json()]
    assert names == ["Alpha", "bug"]
    r = owner.client.patch(f"/api/labels/{bug['id']}", json={"name": "Bug", "color": "pink"})
    assert r.status_code == 200 and r.json() == {**bug, "name": "Bug", "color": "pink"}
    detail = owner.client.get(f"/api/projects/{pid}").json()
    assert [x["name"] for x in detail["labels"]] == ["Alpha", "Bug"]
    assert viewer.client.post(f"/api/projects/{pid}/labels", json={"name": "x"}).status_code == 403


BAD_LABELS: list[dict[str, Any]] = [
    {"name": "BUG"},  # taken, ignoring case
    {"name": "ÄRGER"},  # non-ASCII case too, on SQLite as on PostgreSQL
    {"name": ""},
    {"name": "x" * 33},
    {"name": "a\x1bb"},
    {"name": "a\nb"},
    {"name": "a\u2028b"},
    {"name": "ok", "color": "magenta"},
    {"name": "ok", "colour": "red"},
    {"color": "red"},
]


def test_bad_labels_are_400_and_change_nothing(make_user: MakeUser) -> None:
    owner = make_user()
    pid = project(owner)
    label(owner, pid, "bug")
    label(owner, pid, "ärger")
    spare = label(owner, pid, "spare")
    before = owner.client.get(f"/api/projects/{pid}").json()
    for body in BAD_LABELS:
        r = owner.client.post(f"/api/projects/{pid}/labels", json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["status_code"] == 400 and r.json()["detail"]
        if "name" in body:  # the same name refused on a rename
            r = owner.client.patch(f"/api/labels/{spare['id']}", json=body)
            assert r.status_code == 400, (body, r.text)
    assert owner.client.get(f"/api/projects/{pid}").json() == before


def test_tasks_carry_labels_of_their_own_project_only(make_user: MakeUser) -> None:
    owner, stranger = make_user(), make_user()
    pid, other = project(owner), project(stranger)
    bug, ui = label(owner, pid, "bug"), label(owner, pid, "ui")
    foreign = label(stranger, other, "bug")
    t = task(owner, pid, labels=[ui["id"], bug["id"], bug["id"]])
    assert sorted(t["labels"]) == sorted([bug["id"], ui["id"]])
    assert t["checklist"] == []
    for bad in ([foreign["id"]], [bug["id"], foreign["id"]], ["not-a-uuid"], "bug"):
        r = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "x", "labels": bad})
        assert r.status_code == 400, r.text
        r = owner.client.patch(f"/api/tasks/{t['id']}", json={"labels": bad})
        assert r.status_code == 400, r.text
    assert owner.client.get(f"/api/tasks/{t['id']}").json() == t
    r = owner.client.patch(f"/api/tasks/{t['id']}", json={"labels": [ui["id"]]})
    assert r.status_code == 200 and r.json()["labels"] == [ui["id"]]
    assert r.json()["version"] == t["version"] + 1
    versioned = owner.client.patch(
        f"/api/tasks/{t['id']}", json={"labels": [], "version": r.json()["version"]}
    )
    assert versioned.status_code == 200 and versioned.json()["labels"] == []
    history = owner.client.get(f"/api/tasks/{t['id']}/activity").json()["items"]
    assert history[0]["changes"] == {"labels": [[ui["id"]], []]}
    # The project body has each task's labels.
    r = owner.client.patch(f"/api/tasks/{t['id']}", json={"labels": [bug["id"]]})
    detail = owner.client.get(f"/api/projects/{pid}").json()
    assert [x["labels"] for x in detail["tasks"]] == [[bug["id"]]]


async def test_label_changes_reach_the_room_and_deletion_updates_its_tasks(
    make_user: MakeUser, server: Server
) -> None:
    owner = make_user()
    pid = project(owner)
    bug, ui = label(owner, pid, "bug"), label(owner, pid, "ui")
    carrier = task(owner, pid, labels=[bug["id"], ui["id"]])
    bystander = task(owner, pid, labels=[ui["id"]])
    async with connected(server.ws_url, owner.token) as (live,):
        assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        new = label(owner, pid, "new")
        owner.client.patch(f"/api/labels/{new['id']}", json={"color": "red"}).raise_for_status()
        assert owner.client.delete(f"/api/labels/{bug['id']}").status_code == 204
        events = await live.events(4)
    assert [e["event"] for e in events] == [
        "label:created",
        "label:updated",
        "task:updated",
        "label:deleted",
    ]
    assert events[0]["data"] == new and events[1]["data"]["color"] == "red"
    assert events[2]["data"]["id"] == carrier["id"] and events[2]["data"]["labels"] == [ui["id"]]
    assert events[2]["data"]["version"] == carrier["version"] + 1
    assert events[3]["data"]["id"] == bug["id"]
    assert owner.client.get(f"/api/tasks/{carrier['id']}").json()["labels"] == [ui["id"]]
    assert owner.client.get(f"/api/tasks/{bystander['id']}").json() == bystander
    assert owner.client.patch(f"/api/labels/{bug['id']}", json={"name": "x"}).status_code == 404


def test_non_members_see_no_label(make_user: MakeUser) -> None:
    owner, outsider = make_user(), make_user()
    pid = project(owner)
    bug = label(owner, pid, "bug")
    assert outsider.client.get(f"/api/projects/{pid}/labels").status_code == 404
    for r in (
        outsider.client.patch(f"/api/labels/{bug['id']}", json={"name": "mine"}),
        outsider.client.delete(f"/api/labels/{bug['id']}"),
    ):
        assert r.status_code == 404 and r.json()["detail"] == "Label not found"


def ids(user: ApiUser, pid: str, query: str) -> set[str]:
    r = user.client.get(f"/api/projects/{pid}/tasks?{query}")
    assert r.status_code == 200, r.text
    return {t["id"] for t in r.json()["items"]}


def test_list_filters_by_labels_assignee_and_due_dates(make_user: MakeUser) -> None:
    owner = make_user()
    pid = project(owner)
    bug, ui = label(owner, pid, "bug"), label(owner, pid, "ui")
    today = dt.datetime.now(dt.UTC).date()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    both = task(owner, pid, labels=[bug["id"], ui["id"]], due_date=str(yesterday))["id"]
    only_bug = task(owner, pid, labels=[bug["id"]], assignee_id=owner.id, due_date=str(today))["id"]
    late_done = task(owner, pid, status="done", due_date=str(yesterday))["id"]
    later = task(owner, pid, due_date=str(tomorrow), assignee_id=owner.id)["id"]
    undated = task(owner, pid)["id"]
    assert ids(owner, pid, f"label={bug['id']}") == {both, only_bug}
    assert ids(owner, pid, f"label={bug['id']}&label={ui['id']}") == {both}
    assert ids(owner, pid, "assignee_id=none") == {both, late_done, undated}
    assert ids(owner, pid, f"assignee_id={owner.id}") == {only_bug, later}
    assert ids(owner, pid, f"due_before={today}") == {both, only_bug, late_done}
    assert ids(owner, pid, f"due_after={today}") == {only_bug, later}
    assert ids(owner, pid, f"due_after={today}&due_before={today}") == {only_bug}
    assert ids(owner, pid, "overdue=true") == {both}
    assert ids(owner, pid, "overdue=true&assignee_id=none") == {both}
    for bad in ("label=bug", "assignee_id=nobody", "due_before=tomorrow", "overdue=maybe"):
        r = owner.client.get(f"/api/projects/{pid}/tasks?{bad}")
        assert r.status_code == 400, (bad, r.text)


def test_the_json_export_carries_labels_by_name_and_checklists(make_user: MakeUser) -> None:
    owner = make_user()
    pid = project(owner)
    bug, ui = label(owner, pid, "bug", "red"), label(owner, pid, "UI", "gray")
    t = task(owner, pid, labels=[ui["id"], bug["id"]])
    plain = task(owner, pid)
    for text, done in (('say "hi" ünï', True), ("then \\ this", False)):
        r = owner.client.post(f"/api/tasks/{t['id']}/checklist", json={"text": text, "done": done})
        assert r.status_code == 201, r.text
    doc = json.loads(download(owner, export(owner, pid, "json")))
    assert doc["project"]["labels"] == [
        {"name": "bug", "color": "red"},
        {"name": "UI", "color": "gray"},
    ]
    by_id = {x["id"]: x for x in doc["tasks"]}
    assert by_id[t["id"]]["labels"] == ["bug", "UI"]
    assert by_id[t["id"]]["checklist"] == [
        {"text": 'say "hi" ünï', "done": True},
        {"text": "then \\ this", "done": False},
    ]
    assert (by_id[plain["id"]]["labels"], by_id[plain["id"]]["checklist"]) == ([], [])
