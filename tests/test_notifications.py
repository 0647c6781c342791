"""Notifications (contract §8): who gets what, the inbox routes, mark read, live frames."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.domain.notifications.due import due_soon_query
from tests.live import connected
from tests.support import ApiUser, MakeUser, Server
from tests.test_comments import project_with_task


def inbox(user: ApiUser, **params: Any) -> dict[str, Any]:
    r = user.client.get("/api/me/notifications", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def kinds(user: ApiUser) -> list[str]:
    return [n["kind"] for n in inbox(user)["items"]]


def test_assignment_notifies_the_assignee_not_the_assigner(make_user: MakeUser) -> None:
    owner, editor = make_user(), make_user()
    pid, task = project_with_task(owner, editor=editor)
    r = owner.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "A", "assignee_id": editor.id}
    )
    assert r.status_code == 201
    owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "Mine", "assignee_id": owner.id})
    owner.client.patch(f"/api/tasks/{task}", json={"assignee_id": editor.id})
    owner.client.patch(f"/api/tasks/{task}", json={"title": "Renamed"})  # no news
    editor.client.patch(f"/api/tasks/{task}", json={"assignee_id": editor.id})  # already: none
    body = inbox(editor)
    assert [n["kind"] for n in body["items"]] == ["assigned", "assigned"]
    assert body["unread"] == 2 and body["next"] is None
    newest = body["items"][0]
    assert newest["task"] == {"id": task, "title": "Renamed"}  # the task as it is now
    assert newest["project"] == {"id": pid, "name": "Talk"}
    assert newest["actor"] == {"id": owner.id, "username": owner.username}
    assert newest["read"] is False and set(newest) == {
        "id", "kind", "project", "task", "actor", "at", "read"
    }  # fmt: skip
    assert inbox(owner)["items"] == []  # your own action never notifies you


def test_mentions_reach_members_only_once_per_comment(make_user: MakeUser) -> None:
    owner, editor, viewer, stranger = make_user(), make_user(), make_user(), make_user()
    _pid, task = project_with_task(owner, editor=editor, viewer=viewer)
    body = (
        f"@{viewer.username} and @{stranger.username} and me @{editor.username}, "
        f"mail {viewer.username}@example.com"
    )
    r = editor.client.post(f"/api/tasks/{task}/comments", json={"body": body})
    assert r.status_code == 201
    comment = r.json()["id"]
    assert kinds(viewer) == ["mentioned"]
    assert kinds(stranger) == [] and kinds(editor) == []
    assert kinds(owner) == ["commented"]  # the task's creator
    # an edit that drops the mention and one that brings it back: still the one notification
    for body in ("nobody", f"again @{viewer.username}"):
        r = editor.client.patch(f"/api/comments/{comment}", json={"body": body})
        assert r.status_code == 200
    assert kinds(viewer) == ["mentioned"]
    # an edit that adds a new member's mention notifies them
    editor.client.patch(
        f"/api/comments/{comment}", json={"body": f"again @{viewer.username} @{owner.username}"}
    )
    assert kinds(owner) == ["mentioned", "commented"]


def test_comments_notify_creator_and_assignee_mention_wins(make_user: MakeUser) -> None:
    owner, editor, other = make_user(), make_user(), make_user()
    pid, _task = project_with_task(owner, editor=editor, editor2=other)
    task = editor.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "Theirs", "assignee_id": other.id}
    ).json()["id"]
    assert kinds(other) == ["assigned"]
    owner.client.post(f"/api/tasks/{task}/comments", json={"body": f"hey @{other.username}"})
    assert kinds(editor) == ["commented"]
    assert kinds(other) == ["mentioned", "assigned"]  # one notification for one comment
    editor.client.post(f"/api/tasks/{task}/comments", json={"body": "my own task"})
    assert kinds(editor) == ["commented"]


def test_description_mentions_notify_when_added(make_user: MakeUser) -> None:
    owner, editor, viewer = make_user(), make_user(), make_user()
    pid, task = project_with_task(owner, editor=editor, viewer=viewer)
    owner.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "D", "description": f"for @{viewer.username}"}
    )
    assert kinds(viewer) == ["mentioned"]
    owner.client.patch(f"/api/tasks/{task}", json={"description": f"@{editor.username}"})
    owner.client.patch(f"/api/tasks/{task}", json={"description": f"@{editor.username} ok"})
    assert kinds(editor) == ["mentioned"]  # the second change added no one
    owner.client.patch(f"/api/tasks/{task}", json={"description": "gone"})
    owner.client.patch(f"/api/tasks/{task}", json={"description": f"@{editor.username} back"})
    assert kinds(editor) == ["mentioned", "mentioned"]  # each change that adds it


def test_paging_and_marking_read(make_user: MakeUser) -> None:
    owner, editor, stranger = make_user(), make_user(), make_user()
    pid, _task = project_with_task(owner, editor=editor)
    for i in range(5):
        owner.client.post(
            f"/api/projects/{pid}/tasks", json={"title": f"T{i}", "assignee_id": editor.id}
        )
    first = inbox(editor, limit=2)
    assert [n["task"]["title"] for n in first["items"]] == ["T4", "T3"]
    second = inbox(editor, limit=2, before=first["next"])
    third = inbox(editor, limit=2, before=second["next"])
    assert [n["task"]["title"] for n in second["items"] + third["items"]] == ["T2", "T1", "T0"]
    assert third["next"] is None
    ids = [n["id"] for n in first["items"]]

    # someone else's ids change nothing, and neither does a stranger's `all`
    assert stranger.client.post("/api/me/notifications/read", json={"ids": ids}).status_code == 204
    assert stranger.client.post("/api/me/notifications/read", json={"all": True}).status_code == 204
    assert inbox(editor)["unread"] == 5
    r = editor.client.post("/api/me/notifications/read", json={"ids": ids})
    assert r.status_code == 204
    body = inbox(editor, unread="true")
    assert body["unread"] == 3 and [n["task"]["title"] for n in body["items"]] == ["T2", "T1", "T0"]
    assert [n["read"] for n in inbox(editor)["items"]] == [True, True, False, False, False]
    assert editor.client.post("/api/me/notifications/read", json={"all": True}).status_code == 204
    assert inbox(editor)["unread"] == 0 and inbox(editor, unread="true")["items"] == []


def test_bad_input_is_400(make_user: MakeUser) -> None:
    owner, editor = make_user(), make_user()
    pid, _task = project_with_task(owner, editor=editor)
    owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "x", "assignee_id": editor.id})
    theirs = inbox(editor)["items"][0]["id"]
    for params in ({"limit": 0}, {"limit": 201}, {"before": "nope"}, {"before": theirs}):
        r = owner.client.get("/api/me/notifications", params=params)
        assert r.status_code == 400, (params, r.text)
        assert set(r.json()) >= {"status_code", "detail"}
    bodies: list[Any] = [{}, {"ids": []}, {"ids": ["nope"]}, {"all": "yes"}, {"other": 1}, []]
    for body in bodies:
        r = owner.client.post("/api/me/notifications/read", json=body)
        assert r.status_code == 400, (body, r.text)


def test_a_removed_member_no_longer_sees_that_projects_notifications(
    make_user: MakeUser,
) -> None:
    owner, editor = make_user(), make_user()
    pid, task = project_with_task(owner, editor=editor)
    other_pid = owner.client.post("/api/projects", json={"name": "Other"}).json()["id"]
    owner.client.post(
        f"/api/projects/{other_pid}/members", json={"username": editor.username, "role": "editor"}
    )
    owner.client.patch(f"/api/tasks/{task}", json={"assignee_id": editor.id})
    owner.client.post(
        f"/api/projects/{other_pid}/tasks", json={"title": "Stays", "assignee_id": editor.id}
    )
    assert inbox(editor)["unread"] == 2
    assert owner.client.delete(f"/api/projects/{pid}/members/{editor.id}").status_code == 204
    body = inbox(editor)
    assert [n["project"]["id"] for n in body["items"]] == [other_pid] and body["unread"] == 1


def test_me_email_settings(make_user: MakeUser) -> None:
    user = make_user()
    me = user.client.get("/api/me").json()
    assert me["email"] is None and me["email_notifications"] == "off"
    r = user.client.patch("/api/me", json={"email_notifications": "instant"})
    assert r.status_code == 400  # no address to send to
    r = user.client.patch(
        "/api/me", json={"email": "Ann.Lee+tasks@mail.example.org", "email_notifications": "daily"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "Ann.Lee+tasks@mail.example.org"
    assert r.json()["email_notifications"] == "daily"
    r = user.client.patch("/api/me", json={"display_name": "Ann"})
    assert r.json()["display_name"] == "Ann" and r.json()["email_notifications"] == "daily"
    for bad in (
        {"email": "no-at-sign"},
        {"email": "a@b"},
        {"email": "a@example.com\n"},
        {"email": "a@example.com\r\nBcc: x@y.z"},
        {"email": "x" * 250 + "@e.com"},
        {"email_notifications": "hourly"},
        {"display_name": "bad\x1bname"},
        {"display_name": ""},
        {"username": "new"},
    ):
        r = user.client.patch("/api/me", json=bad)
        assert r.status_code == 400, (bad, r.text)
    r = user.client.patch("/api/me", json={"email": None})
    assert r.json()["email"] is None and r.json()["email_notifications"] == "off"


async def test_every_socket_of_the_user_hears_without_subscribing(
    make_user: MakeUser, server: Server
) -> None:
    owner, editor = make_user(), make_user()
    _pid, task = project_with_task(owner, editor=editor)
    async with connected(server.ws_url, editor.token, editor.token, owner.token) as (a, b, o):
        owner.client.patch(f"/api/tasks/{task}", json={"assignee_id": editor.id})
        for live in (a, b):
            frame = await live.expect("notification")
            assert frame["unread"] == 1 and frame["data"]["kind"] == "assigned"
            assert frame["data"]["task"] == {"id": task, "title": "T"}
        nid = frame["data"]["id"]
        editor.client.post("/api/me/notifications/read", json={"ids": [nid]})
        for live in (a, b):
            assert (await live.expect("unread")) == {"type": "unread", "count": 0}
        assert [f for f in await o.collect(0.5) if f["type"] in ("notification", "unread")] == []


async def test_the_due_soon_scan_finds_its_tasks_by_index(
    database_url: str, server: Server
) -> None:
    """The scan runs across every project each day: it must not read every task to do it.
    PostgreSQL is told to avoid sequential scans, so the plan shows whether an index serves."""
    postgres = database_url.startswith("postgresql")
    explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    query = due_soon_query(dt.date(2026, 12, 4))
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            if postgres:
                await conn.execute(text("SET enable_seqscan = off"))
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = "\n".join(str(row) for row in await conn.execute(text(explain + sql)))
    finally:
        await engine.dispose()
    assert "ix_tasks_due_date" in plan, plan
