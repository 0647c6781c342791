"""The HTTP half of the client: one httpx.AsyncClient, responses decoded with `api.wire`."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec

from api import wire
from tui.text import from_wire, safe_line

T = TypeVar("T")

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Built once at import (loading the CA bundle takes ~30 ms): the SSH gateway's warm template
# imports this module, so a forked session starts with it ready instead of building its own.
TLS = httpx.create_ssl_context()


class ApiError(Exception):
    """The server answered with an error status (contract §3 error body)."""

    def __init__(self, status: int, detail: str, extra: Any = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra

    def field_errors(self) -> dict[str, str]:
        """Per-field messages of a 400, keyed by the body field they are about."""
        errors: dict[str, str] = {}
        if isinstance(self.extra, list):
            for item in self.extra:
                if isinstance(item, dict) and item.get("key"):
                    errors[str(item["key"])] = str(item.get("message", self.detail))
        return errors


class Unreachable(Exception):
    """No answer from the server at all (refused, DNS, timeout)."""


def _describe(exc: httpx.HTTPError, base_url: str) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"the server at {base_url} did not answer in time"
    return f"cannot reach the server at {base_url}"


class ApiClient:
    """Every route of contract §3 the TUI uses, as typed async methods."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT, verify=TLS)

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url.removeprefix("http") + "/ws"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if isinstance(body, bytes):  # a file, sent as it is (imports)
            content: bytes | None = body
            headers["Content-Type"] = "application/octet-stream"
        else:
            content = msgspec.json.encode(body) if body is not None else None
            if content is not None:
                headers["Content-Type"] = "application/json"
        try:
            response = await self._http.request(
                method, path, content=content, headers=headers, **kw
            )
        except httpx.HTTPError as exc:
            raise Unreachable(_describe(exc, self.base_url)) from exc
        if response.status_code >= 400:
            try:
                err = from_wire(
                    response.content, msgspec.json.decode(response.content, type=wire.ErrorBody)
                )
                raise ApiError(response.status_code, err.detail, err.extra)
            except msgspec.DecodeError:
                reason = safe_line(response.reason_phrase)
                raise ApiError(response.status_code, reason) from None
        return response

    async def _call(self, type_: type[T], method: str, path: str, body: Any = None, **kw: Any) -> T:
        response = await self._send(method, path, body, **kw)
        return from_wire(response.content, msgspec.json.decode(response.content, type=type_))

    # accounts
    async def login(self, username: str, password: str) -> wire.AuthResponse:
        body = wire.LoginRequest(username=username, password=password)
        auth = await self._call(wire.AuthResponse, "POST", "/api/auth/login", body)
        self.token = auth.access_token
        return auth

    async def register(self, username: str, password: str) -> wire.AuthResponse:
        body = {"username": username, "password": password}
        auth = await self._call(wire.AuthResponse, "POST", "/api/auth/register", body)
        self.token = auth.access_token
        return auth

    async def health(self) -> wire.Health:
        """`GET /health`: does anything answer at `base_url` (503: yes, without its database)."""
        return await self._call(wire.Health, "GET", "/health")

    async def me(self) -> wire.User:
        return await self._call(wire.User, "GET", "/api/me")

    # projects
    async def projects(self) -> list[wire.Project]:
        return await self._call(list[wire.Project], "GET", "/api/projects")

    async def project(self, project_id: uuid.UUID) -> wire.ProjectDetail:
        return await self._call(wire.ProjectDetail, "GET", f"/api/projects/{project_id}")

    async def create_project(self, name: str) -> wire.Project:
        return await self._call(wire.Project, "POST", "/api/projects", {"name": name})

    async def rename_project(self, project_id: uuid.UUID, name: str) -> wire.Project:
        path = f"/api/projects/{project_id}"
        return await self._call(wire.Project, "PATCH", path, {"name": name})

    async def delete_project(self, project_id: uuid.UUID) -> None:
        await self._send("DELETE", f"/api/projects/{project_id}")

    # members
    async def add_member(self, project_id: uuid.UUID, username: str, role: str) -> wire.Member:
        path = f"/api/projects/{project_id}/members"
        return await self._call(wire.Member, "POST", path, {"username": username, "role": role})

    async def set_role(self, project_id: uuid.UUID, user_id: uuid.UUID, role: str) -> wire.Member:
        path = f"/api/projects/{project_id}/members/{user_id}"
        return await self._call(wire.Member, "PATCH", path, {"role": role})

    async def remove_member(self, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self._send("DELETE", f"/api/projects/{project_id}/members/{user_id}")

    # tasks
    async def create_task(self, project_id: uuid.UUID, fields: dict[str, Any]) -> wire.Task:
        return await self._call(wire.Task, "POST", f"/api/projects/{project_id}/tasks", fields)

    async def update_task(self, task_id: uuid.UUID, fields: dict[str, Any]) -> wire.Task:
        return await self._call(wire.Task, "PATCH", f"/api/tasks/{task_id}", fields)

    async def delete_task(self, task_id: uuid.UUID) -> None:
        await self._send("DELETE", f"/api/tasks/{task_id}")

    async def bulk_set(
        self, project_id: uuid.UUID, task_ids: list[uuid.UUID], fields: dict[str, Any]
    ) -> list[wire.Task]:
        """One all-or-nothing change of up to 500 tasks (contract §9); the tasks as saved."""
        body = {"task_ids": task_ids, "set": fields}
        path = f"/api/projects/{project_id}/tasks/bulk"
        return (await self._call(wire.BulkUpdated, "POST", path, body)).tasks

    async def bulk_delete(self, project_id: uuid.UUID, task_ids: list[uuid.UUID]) -> int:
        body = {"task_ids": task_ids, "delete": True}
        path = f"/api/projects/{project_id}/tasks/bulk"
        return (await self._call(wire.BulkDeleted, "POST", path, body)).deleted

    async def task(self, task_id: uuid.UUID) -> wire.Task:
        return await self._call(wire.Task, "GET", f"/api/tasks/{task_id}")

    async def search(self, query: str, limit: int = 20) -> wire.SearchPage:
        """Tasks of every project of the user matching `query` (contract §9), best first."""
        response = await self._send("GET", "/api/search", params={"q": query, "limit": limit})
        return from_wire(
            response.content, msgspec.json.decode(response.content, type=wire.SearchPage)
        )

    # saved views
    async def views(self) -> list[wire.SavedView]:
        return await self._call(list[wire.SavedView], "GET", "/api/me/views")

    async def create_view(self, body: wire.SavedViewCreate) -> wire.SavedView:
        return await self._call(wire.SavedView, "POST", "/api/me/views", body)

    async def delete_view(self, view_id: uuid.UUID) -> None:
        await self._send("DELETE", f"/api/me/views/{view_id}")

    async def raw(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """Any route, decoded as plain JSON: for the CLI, which prints what the server sent
        (fields other branches add included) without a wire type for each."""
        response = await self._send(method, path, body, **kw)
        return msgspec.json.decode(response.content) if response.content else None

    # comments
    async def comments(self, task_id: uuid.UUID) -> list[wire.Comment]:
        return await self._call(list[wire.Comment], "GET", f"/api/tasks/{task_id}/comments")

    async def task_activity(self, task_id: uuid.UUID, limit: int = 50) -> wire.ActivityPage:
        path = f"/api/tasks/{task_id}/activity"
        return await self._call(wire.ActivityPage, "GET", path, params={"limit": limit})

    async def add_comment(self, task_id: uuid.UUID, body: str) -> wire.Comment:
        path = f"/api/tasks/{task_id}/comments"
        return await self._call(wire.Comment, "POST", path, {"body": body})

    # notifications
    async def notifications(
        self, *, unread: bool = False, limit: int = 50, before: uuid.UUID | None = None
    ) -> wire.NotificationPage:
        params: dict[str, str | int] = {"limit": limit}
        if unread:
            params["unread"] = "true"
        if before is not None:
            params["before"] = str(before)
        response = await self._send("GET", "/api/me/notifications", params=params)
        page = msgspec.json.decode(response.content, type=wire.NotificationPage)
        return from_wire(response.content, page)

    async def mark_read(self, ids: list[uuid.UUID] | None = None) -> None:
        """The given notifications, or (None) every one of the caller's, as read."""
        body = wire.MarkRead(ids=ids) if ids is not None else wire.MarkRead(all=True)
        await self._send("POST", "/api/me/notifications/read", body)

    # exports
    async def start_export(self, project_id: uuid.UUID, fmt: str) -> wire.ExportJob:
        path = f"/api/projects/{project_id}/exports"
        return await self._call(wire.ExportJob, "POST", path, {"format": fmt})

    async def exports(self, project_id: uuid.UUID) -> list[wire.ExportJob]:
        path = f"/api/projects/{project_id}/exports"
        return await self._call(list[wire.ExportJob], "GET", path)

    async def export_job(self, export_id: uuid.UUID) -> wire.ExportJob:
        return await self._call(wire.ExportJob, "GET", f"/api/exports/{export_id}")

    async def export_link(self, export_id: uuid.UUID) -> wire.ExportLink:
        return await self._call(wire.ExportLink, "GET", f"/api/exports/{export_id}/link")

    async def download_export(self, export_id: uuid.UUID, target: Path) -> int:
        """Write the finished file to `target` (via a temporary name); returns its size."""
        response = await self._send("GET", f"/api/exports/{export_id}/download")
        await asyncio.to_thread(_write_whole, target, response.content)
        return len(response.content)

    # imports
    async def dry_run_import(
        self, project_id: uuid.UUID, fmt: str, content: bytes
    ) -> wire.ImportReport:
        """What importing the file would create, skip and refuse; nothing is written."""
        path, params = f"/api/projects/{project_id}/imports", {"format": fmt, "dry_run": "true"}
        return await self._call(wire.ImportReport, "POST", path, content, params=params)

    async def start_import(self, project_id: uuid.UUID, fmt: str, content: bytes) -> wire.ImportJob:
        path, params = f"/api/projects/{project_id}/imports", {"format": fmt}
        return await self._call(wire.ImportJob, "POST", path, content, params=params)

    async def import_job(self, import_id: uuid.UUID) -> wire.ImportJob:
        return await self._call(wire.ImportJob, "GET", f"/api/imports/{import_id}")

    # ssh keys
    async def ssh_keys(self) -> list[wire.SshKey]:
        return await self._call(list[wire.SshKey], "GET", "/api/me/ssh-keys")

    async def add_ssh_key(self, public_key: str) -> wire.SshKey:
        body = wire.SshKeyCreate(public_key=public_key)
        return await self._call(wire.SshKey, "POST", "/api/me/ssh-keys", body)

    async def delete_ssh_key(self, key_id: uuid.UUID) -> None:
        await self._send("DELETE", f"/api/me/ssh-keys/{key_id}")

    async def tokens(self) -> list[wire.ApiToken]:
        return await self._call(list[wire.ApiToken], "GET", "/api/me/tokens")

    async def create_token(self, body: wire.ApiTokenCreate) -> wire.ApiTokenCreated:
        return await self._call(wire.ApiTokenCreated, "POST", "/api/me/tokens", body)

    async def delete_token(self, token_id: uuid.UUID) -> None:
        await self._send("DELETE", f"/api/me/tokens/{token_id}")


def _write_whole(target: Path, content: bytes) -> None:
    target = target.expanduser()
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(content)
    partial.replace(target)
