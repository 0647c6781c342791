"""Helpers for driving TaskroomApp with Textual's Pilot against a real `taskroom serve`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from api import wire
from tests.support import ApiUser
from tui.app import TaskroomApp
from tui.client.store import ProjectStore
from tui.config import TokenStore
from tui.screens.board import BoardScreen


def make_app(url: str, tmp: Path, token: str | None = None, **kw: Any) -> TaskroomApp:
    return TaskroomApp(
        url, token=token, tokens=TokenStore(tmp / "credentials.json"), keymap={}, **kw
    )


async def until(pilot: Pilot[Any], predicate: Callable[[], Any], wait: float = 20.0) -> Any:
    """Let the app run until `predicate()` is truthy (generous: the CI machine is busy)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            result = predicate()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; screen is {pilot.app.screen!r}")
        await pilot.pause(0.02)


async def eventually(check: Callable[[], Any], wait: float = 20.0) -> Any:
    """Poll a blocking check (an HTTP read) without blocking the app's loop."""
    deadline = time.monotonic() + wait
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the server state")
        await asyncio.sleep(0.1)


def notices(app: TaskroomApp) -> str:
    return " | ".join(app.notices)


def board(app: App[Any]) -> BoardScreen:
    screen = app.screen
    assert isinstance(screen, BoardScreen), screen
    return screen


def selected(app: App[Any]) -> wire.Task:
    """The board's selected task; there must be one."""
    task = board(app).selected()
    assert task is not None, "no task selected"
    return task


def store_of(screen: BoardScreen) -> ProjectStore:
    """The board's project, once loaded."""
    assert screen.store is not None, "the board has not loaded its project"
    return screen.store


def titles(app: App[Any], status: str) -> list[str]:
    return [t.title for t in board(app).column(status).tasks]


def new_project(user: ApiUser, name: str, tasks: list[dict[str, Any]]) -> str:
    r = user.client.post("/api/projects", json={"name": name})
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    for body in tasks:
        assert user.client.post(f"/api/projects/{pid}/tasks", json=body).status_code == 201
    return pid


def task_by_title(user: ApiUser, pid: str, title: str) -> dict[str, Any] | None:
    detail = user.client.get(f"/api/projects/{pid}").json()
    return next((t for t in detail["tasks"] if t["title"] == title), None)


def task_field(user: ApiUser, pid: str, title: str, field: str) -> Any:
    """One field of the task titled `title` on the server; None while there is none."""
    task = task_by_title(user, pid, title)
    return None if task is None else task[field]


async def open_board(pilot: Pilot[Any], name: str) -> BoardScreen:
    """From the projects screen: select `name`, press enter, wait for the tasks."""
    from tui.screens.projects import ProjectsScreen

    app = pilot.app
    screen = await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen)
    await until(pilot, lambda: any(p.name == name for p in screen.projects))
    index = [p.name for p in screen.projects].index(name)
    screen.table.move_cursor(row=index)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, BoardScreen) and app.screen.store)
    return board(app)
