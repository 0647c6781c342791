"""The authorization matrix: every role against every route of contract §3.

Each cell runs against a fresh project (owner, editor, viewer and a spare viewer as
members, one task), so writes that succeed never leak into the next cell. When a cell is
refused, the project must be exactly as it was: a refusal never half-applies a change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support import ApiUser, Server, register

ROLES = ("owner", "editor", "viewer", "outsider", "anonymous")
PASSWORD = "password-123"

# route: (method, path, body, expected status for owner, editor, viewer, outsider, anonymous)
# `{…}` in a path or body is filled from the cell's World. `{me}` is the caller's own id.
MATRIX: dict[str, tuple[str, str, Any, tuple[int, int, int, int, int]]] = {
    # accounts
    "register": ("POST", "/api/auth/register", {"username": "{fresh}", "password": PASSWORD},
                 (201, 201, 201, 201, 201)),
    "login": ("POST", "/api/auth/login", {"username": "{spare_name}", "password": PASSWORD},
              (200, 200, 200, 200, 200)),
    "me": ("GET", "/api/me", None, (200, 200, 200, 200, 401)),
    # projects
    "list projects": ("GET", "/api/projects", None, (200, 200, 200, 200, 401)),
    "create project": ("POST", "/api/projects", {"name": "New"}, (201, 201, 201, 201, 401)),
    "get project": ("GET", "/api/projects/{project}", None, (200, 200, 200, 404, 401)),
    "update project": ("PATCH", "/api/projects/{project}", {"name": "Renamed"},
                       (200, 200, 403, 404, 401)),
    "delete project": ("DELETE", "/api/projects/{project}", None, (204, 403, 403, 404, 401)),
    # members
    "add member": ("POST", "/api/projects/{project}/members",
                   {"username": "{newbie_name}", "role": "viewer"}, (201, 403, 403, 404, 401)),
    "change role": ("PATCH", "/api/projects/{project}/members/{spare}", {"role": "editor"},
                    (200, 403, 403, 404, 401)),
    "remove member": ("DELETE", "/api/projects/{project}/members/{spare}", None,
                      (204, 403, 403, 404, 401)),
    "leave project": ("DELETE", "/api/projects/{project}/members/{me}", None,
                      (409, 204, 204, 404, 401)),
    # tasks
    "create task": ("POST", "/api/projects/{project}/tasks", {"title": "New task"},
                    (201, 201, 403, 404, 401)),
    "list tasks": ("GET", "/api/projects/{project}/tasks", None, (200, 200, 200, 404, 401)),
    "get task": ("GET", "/api/tasks/{task}", None, (200, 200, 200, 404, 401)),
    "update task": ("PATCH", "/api/tasks/{task}", {"title": "Edited"}, (200, 200, 403, 404, 401)),
    "delete task": ("DELETE", "/api/tasks/{task}", None, (204, 204, 403, 404, 401)),
    # exports (contract §3) — add their rows here when the exports routes land:
    # "create export": ("POST", "/api/projects/{project}/exports", {"format": "csv"},
    #                   (202, 202, 202, 404, 401)),
    # "list exports": ("GET", "/api/projects/{project}/exports", None, (200, 200, 200, 404, 401)),
    # "get export" / "download export": need an export id in the World first.
}  # fmt: skip


@dataclass
class Cast:
    owner: ApiUser
    editor: ApiUser
    viewer: ApiUser
    spare: ApiUser
    outsider: ApiUser
    newbie: ApiUser


@dataclass
class World:
    """One cell's fresh project, and how to fill a route's placeholders."""

    cast: Cast
    project: str
    task: str

    def values(self, me: str) -> dict[str, str]:
        return {
            "project": self.project,
            "task": self.task,
            "spare": self.cast.spare.id,
            "spare_name": self.cast.spare.username,
            "newbie_name": self.cast.newbie.username,
            "fresh": f"u{uuid.uuid4().hex[:10]}",
            "me": me,
        }


def fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def cast(server: Server) -> Iterator[Cast]:
    users = [register(server.url) for _ in range(6)]
    yield Cast(*users)
    for u in users:
        u.close()


def build_world(cast: Cast) -> World:
    owner = cast.owner.client
    project = owner.post("/api/projects", json={"name": "Matrix"}).json()["id"]
    for user, role in ((cast.editor, "editor"), (cast.viewer, "viewer"), (cast.spare, "viewer")):
        r = owner.post(
            f"/api/projects/{project}/members", json={"username": user.username, "role": role}
        )
        assert r.status_code == 201, r.text
    task = owner.post(f"/api/projects/{project}/tasks", json={"title": "Task"}).json()["id"]
    return World(cast, project, task)


def client_for(cast: Cast, role: str, server: Server) -> tuple[httpx.Client, str]:
    if role == "anonymous":
        return httpx.Client(base_url=server.url, timeout=10), str(uuid.uuid4())
    user: ApiUser = getattr(cast, role)
    return user.client, user.id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(MATRIX))
def test_matrix(route: str, role: str, cast: Cast, server: Server) -> None:
    method, path, body, expected = MATRIX[route]
    want = expected[ROLES.index(role)]
    world = build_world(cast)
    before = cast.owner.client.get(f"/api/projects/{world.project}").json()
    client, me = client_for(cast, role, server)
    values = world.values(me)
    r = client.request(method, fill(path, values), json=fill(body, values))
    assert r.status_code == want, f"{route} as {role}: {r.status_code} {r.text}"
    if r.status_code >= 400:
        body_out = r.json()
        assert body_out["status_code"] == want and body_out["detail"], body_out
        after = cast.owner.client.get(f"/api/projects/{world.project}").json()
        assert after == before, f"{route} as {role} was refused but changed the project"
    if role == "anonymous":
        client.close()


def test_not_found_looks_the_same_as_not_a_member(cast: Cast) -> None:
    """A non-member cannot tell a real project from a made-up id."""
    world = build_world(cast)
    real = cast.outsider.client.get(f"/api/projects/{world.project}")
    fake = cast.outsider.client.get(f"/api/projects/{uuid.uuid4()}")
    assert (real.status_code, real.json()) == (fake.status_code, fake.json())
    real = cast.outsider.client.get(f"/api/tasks/{world.task}")
    fake = cast.outsider.client.get(f"/api/tasks/{uuid.uuid4()}")
    assert (real.status_code, real.json()) == (fake.status_code, fake.json())


def test_removed_member_loses_access(cast: Cast) -> None:
    world = build_world(cast)
    r = cast.owner.client.delete(f"/api/projects/{world.project}/members/{cast.editor.id}")
    assert r.status_code == 204
    assert cast.editor.client.get(f"/api/projects/{world.project}").status_code == 404
    assert (
        cast.editor.client.patch(f"/api/tasks/{world.task}", json={"title": "x"}).status_code == 404
    )
    listed = [p["id"] for p in cast.editor.client.get("/api/projects").json()]
    assert world.project not in listed


def test_deleted_project_takes_its_tasks(cast: Cast) -> None:
    world = build_world(cast)
    assert cast.owner.client.delete(f"/api/projects/{world.project}").status_code == 204
    assert cast.owner.client.get(f"/api/tasks/{world.task}").status_code == 404
    assert cast.owner.client.get(f"/api/projects/{world.project}").status_code == 404
