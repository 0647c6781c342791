"""The authorization matrix: every role against every route the app serves.

The rows are checked against the app's route table (tests/routes.py): a route without a row,
or a row for a route that is gone, fails `test_matrix_covers_every_route`. Each cell runs
against a fresh project (owner, editor, viewer and a spare viewer as members, one task; an
SSH key of the owner's and a finished export where the row needs them), so writes that
succeed never leak into the next cell. When a cell is refused, what the owner sees (the
project, their SSH keys, the project's exports) must be exactly as it was: a refusal never
half-applies a change.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncssh
import httpx
import pytest

from tests.routes import app_routes
from tests.support import ApiUser, Server, register, wait_until

ROLES = ("owner", "editor", "viewer", "outsider", "anonymous")
PASSWORD = "password-123"


@dataclass(frozen=True)
class Row:
    """One request, and the status each role gets: (owner, editor, viewer, outsider, anonymous).

    `path` is the route as in the route table; its parameters, and `{…}` in the body, are
    filled from the cell's World (`{me}` is the caller's own id). `params` renames a path
    parameter's World value where the default does not fit (leaving: `user_id` is `me`);
    `query` is the query string sent with it.
    """

    method: str
    path: str
    body: Any
    expected: tuple[int, int, int, int, int]
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""


MATRIX: dict[str, Row] = {
    # accounts
    "register": Row("POST", "/api/auth/register", {"username": "{fresh}", "password": PASSWORD},
                    (201, 201, 201, 201, 201)),
    "login": Row("POST", "/api/auth/login", {"username": "{spare_name}", "password": PASSWORD},
                 (200, 200, 200, 200, 200)),
    "me": Row("GET", "/api/me", None, (200, 200, 200, 200, 401)),
    "update me": Row("PATCH", "/api/me", {"email": "me@example.com"}, (200, 200, 200, 200, 401)),
    "health": Row("GET", "/health", None, (200, 200, 200, 200, 200)),
    "metrics": Row("GET", "/metrics", None, (200, 200, 200, 200, 200)),  # for the scraper
    # projects
    "list projects": Row("GET", "/api/projects", None, (200, 200, 200, 200, 401)),
    "create project": Row("POST", "/api/projects", {"name": "New"}, (201, 201, 201, 201, 401)),
    "get project": Row("GET", "/api/projects/{project_id}", None, (200, 200, 200, 404, 401)),
    "update project": Row("PATCH", "/api/projects/{project_id}", {"name": "Renamed"},
                          (200, 200, 403, 404, 401)),
    "delete project": Row("DELETE", "/api/projects/{project_id}", None,
                          (204, 403, 403, 404, 401)),
    # members
    "add member": Row("POST", "/api/projects/{project_id}/members",
                      {"username": "{newbie_name}", "role": "viewer"}, (201, 403, 403, 404, 401)),
    "change role": Row("PATCH", "/api/projects/{project_id}/members/{user_id}", {"role": "editor"},
                       (200, 403, 403, 404, 401)),
    "remove member": Row("DELETE", "/api/projects/{project_id}/members/{user_id}", None,
                         (204, 403, 403, 404, 401)),
    "leave project": Row("DELETE", "/api/projects/{project_id}/members/{user_id}", None,
                         (409, 204, 204, 404, 401), params={"user_id": "me"}),
    # tasks
    "create task": Row("POST", "/api/projects/{project_id}/tasks", {"title": "New task"},
                       (201, 201, 403, 404, 401)),
    "list tasks": Row("GET", "/api/projects/{project_id}/tasks", None, (200, 200, 200, 404, 401)),
    "bulk tasks": Row("POST", "/api/projects/{project_id}/tasks/bulk",
                      {"task_ids": ["{task}"], "set": {"status": "done"}},
                      (200, 200, 403, 404, 401)),
    "get task": Row("GET", "/api/tasks/{task_id}", None, (200, 200, 200, 404, 401)),
    "update task": Row("PATCH", "/api/tasks/{task_id}", {"title": "Edited"},
                       (200, 200, 403, 404, 401)),
    "delete task": Row("DELETE", "/api/tasks/{task_id}", None, (204, 204, 403, 404, 401)),
    # comments: the comment in the path is the owner's, on the cell's task
    "list comments": Row("GET", "/api/tasks/{task_id}/comments", None,
                         (200, 200, 200, 404, 401)),
    "create comment": Row("POST", "/api/tasks/{task_id}/comments", {"body": "Hello"},
                          (201, 201, 403, 404, 401)),
    "edit comment": Row("PATCH", "/api/comments/{comment_id}", {"body": "Edited"},
                        (200, 403, 403, 404, 401)),
    "delete comment": Row("DELETE", "/api/comments/{comment_id}", None,
                          (204, 403, 403, 404, 401)),
    # labels: any member reads, editor+ writes; the label in the path is the cell project's
    "list labels": Row("GET", "/api/projects/{project_id}/labels", None,
                       (200, 200, 200, 404, 401)),
    "create label": Row("POST", "/api/projects/{project_id}/labels", {"name": "bug"},
                        (201, 201, 403, 404, 401)),
    "update label": Row("PATCH", "/api/labels/{label_id}", {"color": "red"},
                        (200, 200, 403, 404, 401)),
    "delete label": Row("DELETE", "/api/labels/{label_id}", None, (204, 204, 403, 404, 401)),
    # checklist: editor+; the item in the path is on the cell's task
    "add checklist item": Row("POST", "/api/tasks/{task_id}/checklist", {"text": "Step"},
                              (201, 201, 403, 404, 401)),
    "update checklist item": Row("PATCH", "/api/checklist/{item_id}", {"done": True},
                                 (200, 200, 403, 404, 401)),
    "delete checklist item": Row("DELETE", "/api/checklist/{item_id}", None,
                                 (204, 204, 403, 404, 401)),
    # activity: any member
    "project activity": Row("GET", "/api/projects/{project_id}/activity", None,
                            (200, 200, 200, 404, 401)),
    "task activity": Row("GET", "/api/tasks/{task_id}/activity", None,
                         (200, 200, 200, 404, 401)),
    # notifications: a user's own
    "list notifications": Row("GET", "/api/me/notifications", None, (200, 200, 200, 200, 401)),
    "mark notifications read": Row("POST", "/api/me/notifications/read", {"all": True},
                                   (204, 204, 204, 204, 401)),
    # exports: any member; the export is the owner's, of the cell's project
    "create export": Row("POST", "/api/projects/{project_id}/exports", {"format": "csv"},
                         (202, 202, 202, 404, 401)),
    "list exports": Row("GET", "/api/projects/{project_id}/exports", None,
                        (200, 200, 200, 404, 401)),
    "get export": Row("GET", "/api/exports/{export_id}", None, (200, 200, 200, 404, 401)),
    "download export": Row("GET", "/api/exports/{export_id}/download", None,
                           (200, 200, 200, 404, 401)),
    "export link": Row("GET", "/api/exports/{export_id}/link", None, (200, 200, 200, 404, 401)),
    # the link's own token opens the file, nothing else does (test_export_links.py has that side)
    "export file by link": Row("GET", "/api/exports/{export_id}/file", None,
                               (401, 401, 401, 401, 401), query="token=not-a-link"),
    # imports: editor+ (the file is the body, a Taskroom JSON one); the import is the owner's
    "create import": Row("POST", "/api/projects/{project_id}/imports", {"tasks": [{"title": "In"}]},
                         (202, 202, 403, 404, 401), query="format=taskroom-json"),
    "get import": Row("GET", "/api/imports/{import_id}", None, (200, 200, 200, 404, 401)),
    # search: every project of the caller; saved views: a user's own (the view is the owner's)
    "search": Row("GET", "/api/search", None, (200, 200, 200, 200, 401), query="q=task"),
    "list views": Row("GET", "/api/me/views", None, (200, 200, 200, 200, 401)),
    "create view": Row("POST", "/api/me/views",
                       {"name": "Mine", "project_id": "{project}", "query": "status:todo"},
                       (201, 201, 201, 404, 401)),
    "delete view": Row("DELETE", "/api/me/views/{view_id}", None, (204, 404, 404, 404, 401)),
    # SSH keys: a user's own; the key in the path is the owner's
    "list ssh keys": Row("GET", "/api/me/ssh-keys", None, (200, 200, 200, 200, 401)),
    "add ssh key": Row("POST", "/api/me/ssh-keys", {"public_key": "{fresh_key}"},
                       (201, 201, 201, 201, 401)),
    "delete ssh key": Row("DELETE", "/api/me/ssh-keys/{key_id}", None, (204, 404, 404, 404, 401)),
    "list tokens": Row("GET", "/api/me/tokens", None, (200, 200, 200, 200, 401)),
    "create token": Row("POST", "/api/me/tokens", {"name": "ci", "scope": "read"},
                        (201, 201, 201, 201, 401)),
    "delete token": Row("DELETE", "/api/me/tokens/{token_id}", None, (204, 404, 404, 404, 401)),
    # the SSH gateway's lookup takes only the gateway's token (test_ssh_keys.py has that side)
    "ssh key owner": Row("POST", "/api/auth/ssh-key",
                         {"username": "{owner_name}", "public_key": "{owner_key}"},
                         (401, 401, 401, 401, 401)),
}  # fmt: skip

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The World value a path parameter takes unless a row renames it.
PATH_VALUES = {
    "project_id": "project",
    "task_id": "task",
    "user_id": "spare",
    "export_id": "export",
    "import_id": "import",
    "key_id": "owner_key_id",
    "comment_id": "comment",
    "token_id": "owner_token_id",
    "view_id": "owner_view_id",
    "label_id": "label",
    "item_id": "item",
}


def test_matrix_covers_every_route() -> None:
    rows = {(row.method, row.path) for row in MATRIX.values()}
    assert rows == app_routes(), {
        "routes without a row": sorted(app_routes() - rows),
        "rows for no route": sorted(rows - app_routes()),
    }


@dataclass
class Cast:
    owner: ApiUser
    editor: ApiUser
    viewer: ApiUser
    spare: ApiUser
    outsider: ApiUser
    newbie: ApiUser


def public_key() -> str:
    return asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()


@dataclass
class World:
    """One cell's fresh project, and what a row's placeholders are filled with."""

    cast: Cast
    values: dict[str, str]

    @property
    def project(self) -> str:
        return self.values["project"]

    @property
    def task(self) -> str:
        return self.values["task"]

    def snapshot(self) -> list[Any]:
        """What a refused request must not change, as the owner sees it."""
        owner = self.cast.owner.client
        return [
            owner.get(f"/api/projects/{self.project}").json(),
            owner.get("/api/me/ssh-keys").json(),
            owner.get("/api/me/tokens").json(),
            owner.get("/api/me/views").json(),
            owner.get(f"/api/projects/{self.project}/exports").json(),
        ]


def placeholders(row: Row) -> frozenset[str]:
    """The World values a row uses, so the world makes only those it needs."""
    names = PLACEHOLDER.findall(row.path + json.dumps(row.body))
    return frozenset(row.params.get(name, PATH_VALUES.get(name, name)) for name in names)


def build_world(cast: Cast, needs: frozenset[str] = frozenset()) -> World:
    owner = cast.owner.client
    project = owner.post("/api/projects", json={"name": "Matrix"}).json()["id"]
    for user, role in ((cast.editor, "editor"), (cast.viewer, "viewer"), (cast.spare, "viewer")):
        r = owner.post(
            f"/api/projects/{project}/members", json={"username": user.username, "role": role}
        )
        assert r.status_code == 201, r.text
    task = owner.post(f"/api/projects/{project}/tasks", json={"title": "Task"}).json()["id"]
    values = {
        "project": project,
        "task": task,
        "spare": cast.spare.id,
        "spare_name": cast.spare.username,
        "newbie_name": cast.newbie.username,
        "owner_name": cast.owner.username,
        "fresh": f"u{uuid.uuid4().hex[:10]}",
        "fresh_key": public_key(),
    }
    if needs & {"owner_key", "owner_key_id"}:
        values["owner_key"] = public_key()
        r = owner.post("/api/me/ssh-keys", json={"public_key": values["owner_key"]})
        assert r.status_code == 201, r.text
        values["owner_key_id"] = r.json()["id"]
    if "comment" in needs:
        r = owner.post(f"/api/tasks/{task}/comments", json={"body": "First"})
        assert r.status_code == 201, r.text
        values["comment"] = r.json()["id"]
    if "label" in needs:  # on the cell's task, so deleting it changes that task too
        r = owner.post(f"/api/projects/{project}/labels", json={"name": "First", "color": "blue"})
        assert r.status_code == 201, r.text
        values["label"] = r.json()["id"]
        r = owner.patch(f"/api/tasks/{task}", json={"labels": [values["label"]]})
        assert r.status_code == 200, r.text
    if "item" in needs:
        r = owner.post(f"/api/tasks/{task}/checklist", json={"text": "First"})
        assert r.status_code == 201, r.text
        values["item"] = r.json()["id"]
    if "owner_token_id" in needs:
        r = owner.post("/api/me/tokens", json={"name": "owner's", "scope": "write"})
        assert r.status_code == 201, r.text
        values["owner_token_id"] = r.json()["id"]
    if "owner_view_id" in needs:
        r = owner.post("/api/me/views", json={"name": "owner's", "query": "overdue"})
        assert r.status_code == 201, r.text
        values["owner_view_id"] = r.json()["id"]
    if "export" in needs:
        r = owner.post(f"/api/projects/{project}/exports", json={"format": "csv"})
        assert r.status_code == 202, r.text
        values["export"] = export = r.json()["id"]
        wait_until(
            lambda: owner.get(f"/api/exports/{export}").json()["status"] == "COMPLETED",
            what="the export",
        )
    if "import" in needs:
        r = owner.post(
            f"/api/projects/{project}/imports", params={"format": "csv"}, content=b"title\nIn\n"
        )
        assert r.status_code == 202, r.text
        values["import"] = imported = r.json()["id"]
        wait_until(
            lambda: owner.get(f"/api/imports/{imported}").json()["status"] == "COMPLETED",
            what="the import",
        )
    return World(cast, values)


def fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value


def url_for(row: Row, values: dict[str, str]) -> str:
    names = PLACEHOLDER.findall(row.path)
    path = row.path.format(
        **{name: values[row.params.get(name, PATH_VALUES[name])] for name in names}
    )
    return f"{path}?{row.query}" if row.query else path


@pytest.fixture(scope="module")
def cast(server: Server) -> Iterator[Cast]:
    users = [register(server.url) for _ in range(6)]
    yield Cast(*users)
    for u in users:
        u.close()


def client_for(cast: Cast, role: str, server: Server) -> tuple[httpx.Client, str]:
    if role == "anonymous":
        return httpx.Client(base_url=server.url, timeout=10), str(uuid.uuid4())
    user: ApiUser = getattr(cast, role)
    return user.client, user.id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(MATRIX))
def test_matrix(route: str, role: str, cast: Cast, server: Server) -> None:
    row = MATRIX[route]
    want = row.expected[ROLES.index(role)]
    world = build_world(cast, placeholders(row))
    before = world.snapshot()
    client, me = client_for(cast, role, server)
    values = {**world.values, "me": me}
    r = client.request(row.method, url_for(row, values), json=fill(row.body, values))
    assert r.status_code == want, f"{route} as {role}: {r.status_code} {r.text}"
    if r.status_code >= 400:
        body_out = r.json()
        assert body_out["status_code"] == want and body_out["detail"], body_out
        assert world.snapshot() == before, f"{route} as {role} was refused but changed something"
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
