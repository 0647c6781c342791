"""Tasks and projects: optimistic concurrency, assignees, filters, search, sort and paging."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import httpx

from tests.live import connected, room
from tests.support import ApiUser, MakeUser, Server


def shared_project(make_user: MakeUser) -> tuple[ApiUser, ApiUser, str]:
    """An owner and an editor sharing one project."""
    owner, editor = make_user(), make_user()
    pid = owner.client.post("/api/projects", json={"name": "Shared"}).json()["id"]
    r = owner.client.post(
        f"/api/projects/{pid}/members", json={"username": editor.username, "role": "editor"}
    )
    assert r.status_code == 201
    return owner, editor, pid


def at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Each call in its own thread, all released together, so they really race."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def patch_at_once(url: str, *saves: tuple[ApiUser, dict[str, Any]]) -> list[httpx.Response]:
    """PATCH `url` as each user at once."""
    return at_once(*(functools.partial(user.client.patch, url, json=body) for user, body in saves))


def test_two_users_saving_one_task_exactly_one_wins(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    for round_ in range(8):
        task = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
        url = f"/api/tasks/{task['id']}"
        a, b = patch_at_once(
            url,
            (owner, {"title": "owner", "version": 1}),
            (editor, {"title": "editor", "version": 1}),
        )
        codes = sorted((a.status_code, b.status_code))
        assert codes == [200, 409], f"round {round_}: {a.text} / {b.text}"
        winner = a if a.status_code == 200 else b
        loser = b if winner is a else a
        final = owner.client.get(url).json()
        assert final["title"] == winner.json()["title"] and final["version"] == 2
        assert loser.json()["extra"]["current"]["version"] >= 1


def test_unversioned_saves_to_one_task_are_all_applied(make_user: MakeUser) -> None:
    """A PATCH without `version` is never refused with 409 (contract §7): eight at once on one
    task are serialised, each applied on top of the one before."""
    owner, editor, pid = shared_project(make_user)
    for round_ in range(3):
        task = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
        url = f"/api/tasks/{task['id']}"
        saves = [((owner, editor)[i % 2], {"title": f"save {i}"}) for i in range(8)]
        results = patch_at_once(url, *saves)
        assert [r.status_code for r in results] == [200] * 8, [r.text for r in results]
        assert sorted(r.json()["version"] for r in results) == list(range(2, 10)), round_
        last = max(results, key=lambda r: r.json()["version"]).json()
        final = owner.client.get(url).json()
        assert final["version"] == 9 and final["title"] == last["title"]


def test_unversioned_saves_to_one_project_are_all_applied(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    for round_ in range(3):
        version = owner.client.get(f"/api/projects/{pid}").json()["version"]
        saves = [((owner, editor)[i % 2], {"name": f"save {i}"}) for i in range(8)]
        results = patch_at_once(f"/api/projects/{pid}", *saves)
        assert [r.status_code for r in results] == [200] * 8, [r.text for r in results]
        versions = sorted(r.json()["version"] for r in results)
        assert versions == list(range(version + 1, version + 9)), round_
        last = max(results, key=lambda r: r.json()["version"]).json()
        assert owner.client.get(f"/api/projects/{pid}").json()["name"] == last["name"]


def test_two_users_saving_one_project_exactly_one_wins(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    for _ in range(5):
        version = owner.client.get(f"/api/projects/{pid}").json()["version"]
        a, b = patch_at_once(
            f"/api/projects/{pid}",
            (owner, {"name": "o", "version": version}),
            (editor, {"name": "e", "version": version}),
        )
        assert sorted((a.status_code, b.status_code)) == [200, 409], (a.text, b.text)


def test_assignee_must_be_a_member(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    stranger = make_user()
    r = owner.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "t", "assignee_id": stranger.id}
    )
    assert r.status_code == 400 and "member" in r.json()["detail"]
    task = owner.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "t", "assignee_id": editor.id}
    ).json()
    assert task["assignee_id"] == editor.id
    r = owner.client.patch(f"/api/tasks/{task['id']}", json={"assignee_id": stranger.id})
    assert r.status_code == 400
    after = owner.client.get(f"/api/tasks/{task['id']}").json()
    assert after["assignee_id"] == editor.id and after["version"] == 1
    r = owner.client.patch(f"/api/tasks/{task['id']}", json={"assignee_id": None})
    assert r.status_code == 200 and r.json()["assignee_id"] is None


async def test_a_removed_member_is_unassigned_in_the_same_change(
    server: Server, make_user: MakeUser
) -> None:
    """A removed member's tasks lose their assignee with the removal, and boards hear of it."""
    owner, editor, pid = shared_project(make_user)
    theirs = owner.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "theirs", "assignee_id": editor.id}
    ).json()
    mine = owner.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "mine", "assignee_id": owner.id}
    ).json()
    async with connected(server.ws_url, owner.token) as (live,):
        assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        assert owner.client.delete(f"/api/projects/{pid}/members/{editor.id}").status_code == 204
        await live.expect("event", event="member:removed")
        updated = await live.expect("event", event="task:updated")
    assert updated["data"]["id"] == theirs["id"]
    assert updated["data"]["assignee_id"] is None and updated["data"]["version"] == 2
    assert updated["actor"]["id"] == owner.id
    detail = owner.client.get(f"/api/projects/{pid}").json()
    tasks = {t["id"]: t for t in detail["tasks"]}
    assert tasks[theirs["id"]] == updated["data"]
    assert tasks[mine["id"]]["assignee_id"] == owner.id and tasks[mine["id"]]["version"] == 1


def test_assigning_while_the_member_is_removed_never_leaves_a_stranger(
    make_user: MakeUser,
) -> None:
    """An assignment racing the assignee's removal either fails (400) or is cleared by it."""
    owner, editor, pid = shared_project(make_user)
    members = f"/api/projects/{pid}/members"
    for round_ in range(12):
        task = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
        assign, remove = at_once(
            functools.partial(
                owner.client.patch, f"/api/tasks/{task['id']}", json={"assignee_id": editor.id}
            ),
            functools.partial(owner.client.delete, f"{members}/{editor.id}"),
        )
        codes = {"assign": assign.status_code, "remove": remove.status_code}
        assert codes["remove"] == 204 and codes["assign"] in (200, 400), (round_, codes)
        after = owner.client.get(f"/api/tasks/{task['id']}").json()
        assert after["assignee_id"] is None, (round_, codes)
        r = owner.client.post(members, json={"username": editor.username, "role": "editor"})
        assert r.status_code == 201


def test_filters_search_sort_and_paging(make_user: MakeUser) -> None:
    owner, editor, pid = shared_project(make_user)
    specs = [
        {"title": "Write the README", "priority": "low", "due_date": "2030-01-03"},
        {"title": "Fix login bug", "status": "in_progress", "priority": "urgent",
         "assignee_id": editor.id, "due_date": "2030-01-01"},
        {"title": "Ship it", "status": "done", "priority": "high",
         "description": "after the readme is reviewed"},
        {"title": "100% coverage_please", "priority": "medium", "assignee_id": editor.id},
        {"title": "ÉCOLE accents", "priority": "low", "due_date": "2030-01-02"},
    ]  # fmt: skip
    ids = {}
    for spec in specs:
        r = owner.client.post(f"/api/projects/{pid}/tasks", json=spec)
        assert r.status_code == 201, r.text
        ids[spec["title"]] = r.json()["id"]

    def titles(**params: Any) -> list[str]:
        r = owner.client.get(f"/api/projects/{pid}/tasks", params=params)
        assert r.status_code == 200, r.text
        return [t["title"] for t in r.json()["items"]]

    assert set(titles(status="done")) == {"Ship it"}
    assert set(titles(priority="low")) == {"Write the README", "ÉCOLE accents"}
    assert set(titles(assignee_id=editor.id)) == {"Fix login bug", "100% coverage_please"}
    assert set(titles(assignee_id=editor.id, status="todo")) == {"100% coverage_please"}
    # q: title and description, case-insensitive; LIKE wildcards are literal
    assert set(titles(q="readme")) == {"Write the README", "Ship it"}
    assert titles(q="100%") == ["100% coverage_please"]
    assert titles(q="e_p") == ["100% coverage_please"]
    assert titles(q="%") == ["100% coverage_please"]
    assert titles(q="'; DROP TABLE tasks; --") == []
    # sorts
    assert titles(sort="priority")[:2] == ["Fix login bug", "Ship it"]
    assert titles(sort="due_date")[:3] == ["Fix login bug", "ÉCOLE accents", "Write the README"]
    newest_first = titles(sort="-updated_at")
    assert newest_first[0] == "ÉCOLE accents" and newest_first[-1] == "Write the README"
    # paging: total counts every match, pages do not overlap and cover everything
    r = owner.client.get(f"/api/projects/{pid}/tasks", params={"limit": 2, "sort": "position"})
    assert r.json()["total"] == 5 and len(r.json()["items"]) == 2
    pages = [titles(limit=2, offset=o, sort="position") for o in (0, 2, 4, 6)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert sorted(t for page in pages for t in page) == sorted(ids)


def test_position_orders_inside_a_status_column(make_user: MakeUser) -> None:
    owner, _, pid = shared_project(make_user)
    a = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "a"}).json()
    b = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "b"}).json()
    assert b["position"] > a["position"]
    r = owner.client.patch(f"/api/tasks/{b['id']}", json={"position": a["position"] - 1})
    assert r.status_code == 200
    items = owner.client.get(f"/api/projects/{pid}/tasks").json()["items"]
    assert [t["title"] for t in items] == ["b", "a"]
    detail = owner.client.get(f"/api/projects/{pid}").json()
    assert [t["title"] for t in detail["tasks"]] == ["b", "a"]
