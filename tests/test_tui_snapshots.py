"""Snapshots of the main screens at 80x24 and 120x40: fixed data, no live socket, no blink.

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.support import ApiUser, Server, register, server_env
from tests.tui_support import make_app, new_project, until
from tui.screens.board import BoardScreen
from tui.screens.projects import ProjectsScreen

SIZES = [(80, 24), (120, 40)]
PASSWORD = "password-123"


@pytest.fixture(scope="module")
def snap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, ApiUser]]:
    """Fixed users and tasks; dates far in the past or future so 'overdue' never drifts."""
    srv = Server(server_env(tmp_path_factory.mktemp("snap"), None)).start(timeout=90)
    alice, bob = register(srv.url, "alice", PASSWORD), register(srv.url, "bob", PASSWORD)
    pid = new_project(alice, "Launch", [])
    alice.client.post(f"/api/projects/{pid}/members", json={"username": "bob", "role": "editor"})
    new_project(alice, "Garden", [{"title": "Plant tomatoes"}])
    tasks: list[dict[str, Any]] = [
        {
            "title": "Write the README",
            "priority": "high",
            "assignee_id": alice.id,
            "due_date": "2099-01-15",
        },
        {"title": "Pick a release name", "priority": "low"},
        {
            "title": "Rate-limit login",
            "priority": "urgent",
            "assignee_id": bob.id,
            "due_date": "2020-03-01",
        },
        {"title": "Live cursors", "status": "in_progress", "assignee_id": alice.id},
        {
            "title": "Webhook docs",
            "status": "in_progress",
            "priority": "medium",
            "assignee_id": bob.id,
            "due_date": "2099-02-01",
        },
        {"title": "Set up CI", "status": "done", "priority": "high"},
        {"title": "First commit", "status": "done", "priority": "low", "assignee_id": alice.id},
    ]
    for body in tasks:
        assert alice.client.post(f"/api/projects/{pid}/tasks", json=body).status_code == 201
    yield srv, alice
    alice.close()
    bob.close()
    srv.stop()


@pytest.fixture(autouse=True)
def fixed_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/tmp/taskroom-snapshots")


def still(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, Input | TextArea)
        widget.cursor_blink = False


async def on_board(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen.projects)
    projects = app.screen
    assert isinstance(projects, ProjectsScreen)
    projects.table.move_cursor(row=1)  # Launch (Garden sorts first)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, BoardScreen) and app.screen.store)
    await pilot.pause()


def then(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await on_board(pilot)
        await pilot.press(*keys)
        await pilot.pause(0.3)
        still(pilot)
        await pilot.pause()

    return run


async def on_projects(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen.projects)
    await pilot.pause()


async def on_login(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    still(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    "screen",
    ["login", "projects", "board", "list", "editor", "help"],
)
def test_snapshot(
    screen: str,
    size: tuple[int, int],
    snap_compare: Any,
    snap_server: tuple[Server, ApiUser],
    tmp_path: Path,
) -> None:
    server, alice = snap_server
    if screen == "login":
        app = make_app("http://taskroom.test:8000", tmp_path, live=False)
        run_before: Any = on_login
    else:
        app = make_app(server.url, tmp_path, token=alice.token, live=False)
        run_before = {
            "projects": on_projects,
            "board": then("l"),
            "list": then("v", "s"),
            "editor": then("e"),
            "help": then("question_mark"),
        }[screen]
    assert snap_compare(app, terminal_size=size, run_before=run_before)
