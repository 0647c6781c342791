"""Comments on tasks (contract §8): routes, roles, bad input, counts, rate limit, live frames."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import connected, room
from tests.support import ApiUser, MakeUser, RedisServer, Server, register, server_env


def project_with_task(owner: ApiUser, **members: ApiUser) -> tuple[str, str]:
    """A project with one task; `members` maps a role to the user who gets it."""
    pid: str = owner.client.post("/api/projects", json={"name": "Talk"}).json()["id"]
    for role, user in members.items():
        r = owner.client.post(
            f"/api/projects/{pid}/members",
            json={"username": user.username, "role": role.rstrip("0123456789")},
        )
        assert r.status_code == 201, r.text
    task: str = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "T"}).json()["id"]
    return pid, task


def test_comment_lifecycle(make_user: MakeUser) -> None:
    owner, editor = make_user(), make_user()
    _pid, task = project_with_task(owner, editor=editor)
    r = editor.client.post(f"/api/tasks/{task}/comments", json={"body": "Looks **good**\n- yes"})
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["task_id"] == task and c["body"] == "Looks **good**\n- yes"
    assert c["author"] == {
        "id": editor.id,
        "username": editor.username,
        "display_name": editor.username,
    }
    assert c["edited"] is False and c["created_at"] == c["updated_at"]
    second = owner.client.post(f"/api/tasks/{task}/comments", json={"body": "Two"}).json()

    listed = owner.client.get(f"/api/tasks/{task}/comments").json()
    assert [x["id"] for x in listed] == [c["id"], second["id"]]  # oldest first
    assert owner.client.get(f"/api/tasks/{task}").json()["comment_count"] == 2

    r = editor.client.patch(f"/api/comments/{c['id']}", json={"body": "Changed"})
    assert r.status_code == 200, r.text
    assert r.json()["body"] == "Changed" and r.json()["edited"] is True
    # the same body again changes nothing, and a comment never bumps the task's version
    task_body = owner.client.get(f"/api/tasks/{task}").json()
    assert task_body["version"] == 1

    assert editor.client.delete(f"/api/comments/{c['id']}").status_code == 204
    assert [x["id"] for x in owner.client.get(f"/api/tasks/{task}/comments").json()] == [
        second["id"]
    ]
    assert owner.client.get(f"/api/tasks/{task}").json()["comment_count"] == 1
    assert editor.client.delete(f"/api/comments/{c['id']}").status_code == 404


def test_comment_permissions(make_user: MakeUser) -> None:
    owner, editor, other, viewer, outsider = (make_user() for _ in range(5))
    _pid, task = project_with_task(owner, editor=editor, editor2=other, viewer=viewer)
    c = editor.client.post(f"/api/tasks/{task}/comments", json={"body": "mine"}).json()

    assert viewer.client.get(f"/api/tasks/{task}/comments").status_code == 200
    r = viewer.client.post(f"/api/tasks/{task}/comments", json={"body": "no"})
    assert r.status_code == 403 and r.json()["status_code"] == 403
    assert other.client.patch(f"/api/comments/{c['id']}", json={"body": "x"}).status_code == 403
    assert owner.client.patch(f"/api/comments/{c['id']}", json={"body": "x"}).status_code == 403
    assert other.client.delete(f"/api/comments/{c['id']}").status_code == 403
    # non-members learn nothing
    assert outsider.client.get(f"/api/tasks/{task}/comments").status_code == 404
    assert (
        outsider.client.post(f"/api/tasks/{task}/comments", json={"body": "x"}).status_code == 404
    )
    assert outsider.client.patch(f"/api/comments/{c['id']}", json={"body": "x"}).status_code == 404
    assert outsider.client.delete(f"/api/comments/{c['id']}").status_code == 404
    assert owner.client.get(f"/api/tasks/{task}/comments").json()[0]["body"] == "mine"
    # the owner may delete another's comment
    assert owner.client.delete(f"/api/comments/{c['id']}").status_code == 204
    assert owner.client.get(f"/api/tasks/{task}/comments").json() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": ""},
        {"body": "x" * 10_001},
        {"body": 5},
        {"body": "bell\x07"},
        {"body": "esc\x1b[31m"},
        {"body": "c1\x85"},
        {"body": "sep\u2028"},
        {"body": "ok", "extra": 1},
    ],
)
def test_bad_comment_is_400(make_user: MakeUser, body: dict[str, object]) -> None:
    owner = make_user()
    _pid, task = project_with_task(owner)
    r = owner.client.post(f"/api/tasks/{task}/comments", json=body)
    assert r.status_code == 400, r.text
    assert set(r.json()) >= {"status_code", "detail"}
    ok = owner.client.post(f"/api/tasks/{task}/comments", json={"body": "tab\tand\nnewline"})
    assert ok.status_code == 201, ok.text
    r = owner.client.patch(f"/api/comments/{ok.json()['id']}", json=body)
    assert r.status_code == 400, r.text
    assert owner.client.get(f"/api/tasks/{task}").json()["comment_count"] == 1


def test_longest_comment_is_accepted(make_user: MakeUser) -> None:
    owner = make_user()
    _pid, task = project_with_task(owner)
    r = owner.client.post(f"/api/tasks/{task}/comments", json={"body": "é" * 10_000})
    assert r.status_code == 201, r.text


def test_comment_count_in_project_detail(make_user: MakeUser) -> None:
    owner = make_user()
    pid, task = project_with_task(owner)
    assert owner.client.get(f"/api/projects/{pid}").json()["tasks"][0]["comment_count"] == 0
    for i in range(3):
        owner.client.post(f"/api/tasks/{task}/comments", json={"body": f"n{i}"}).raise_for_status()
    detail = owner.client.get(f"/api/projects/{pid}").json()
    assert detail["tasks"][0]["comment_count"] == 3
    listed = owner.client.get(f"/api/projects/{pid}/tasks").json()["items"]
    assert listed[0]["comment_count"] == 3


def test_a_flood_of_comments_is_429(make_user: MakeUser) -> None:
    owner = make_user()
    _pid, task = project_with_task(owner)
    for i in range(30):
        r = owner.client.post(f"/api/tasks/{task}/comments", json={"body": f"c{i}"})
        assert r.status_code == 201, r.text
    r = owner.client.post(f"/api/tasks/{task}/comments", json={"body": "one too many"})
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1
    assert owner.client.get(f"/api/tasks/{task}").json()["comment_count"] == 30


def test_task_delete_takes_its_comments(make_user: MakeUser) -> None:
    owner = make_user()
    _pid, task = project_with_task(owner)
    c = owner.client.post(f"/api/tasks/{task}/comments", json={"body": "bye"}).json()
    assert owner.client.delete(f"/api/tasks/{task}").status_code == 204
    assert owner.client.get(f"/api/tasks/{task}/comments").status_code == 404
    assert owner.client.delete(f"/api/comments/{c['id']}").status_code == 404


async def test_comment_events_reach_the_room(make_user: MakeUser, server: Server) -> None:
    owner, editor = make_user(), make_user()
    pid, task = project_with_task(owner, editor=editor)
    async with connected(server.ws_url, owner.token) as (live,):
        assert (await live.subscribe(room(pid)))["type"] == "subscribed"
        c = editor.client.post(f"/api/tasks/{task}/comments", json={"body": "hi"}).json()
        editor.client.patch(f"/api/comments/{c['id']}", json={"body": "hey"}).raise_for_status()
        editor.client.delete(f"/api/comments/{c['id']}").raise_for_status()
        events = await live.events(3)
    assert [e["event"] for e in events] == ["comment:created", "comment:updated", "comment:deleted"]
    assert all(e["actor"]["id"] == editor.id for e in events)
    assert events[0]["data"] == c
    assert events[1]["data"]["body"] == "hey" and events[1]["data"]["edited"] is True
    assert events[2]["data"] == {"id": c["id"], "task_id": task}


@pytest.fixture(scope="module")
def cached_server(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """With Redis: the project body is cached, so a comment must drop it."""
    env = server_env(tmp_path_factory.mktemp("comments-cache"), None, redis_server.url)
    srv = Server(env).start(timeout=90)
    yield srv
    srv.stop()


def test_comments_drop_the_cached_project(cached_server: Server) -> None:
    owner = register(cached_server.url)
    try:
        pid, task = project_with_task(owner)
        assert owner.client.get(f"/api/projects/{pid}").json()["tasks"][0]["comment_count"] == 0
        c = owner.client.post(f"/api/tasks/{task}/comments", json={"body": "x"}).json()
        assert owner.client.get(f"/api/projects/{pid}").json()["tasks"][0]["comment_count"] == 1
        owner.client.patch(f"/api/comments/{c['id']}", json={"body": "y"}).raise_for_status()
        owner.client.delete(f"/api/comments/{c['id']}").raise_for_status()
        assert owner.client.get(f"/api/projects/{pid}").json()["tasks"][0]["comment_count"] == 0
    finally:
        owner.close()
