"""Snapshots of the main screens at 80x24, 120x40 and 60x15: fixed data, no live socket, no blink.

The board holds a 500-character title, so every screen shows that nothing long pushes other
information off screen; the conflict dialog and the moves run in a project of their own.

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.support import ApiUser, Server, register, server_env
from tests.tui_support import board, make_app, new_project, open_board, until
from tui.screens.board import BoardScreen
from tui.screens.conflict import ConflictScreen
from tui.screens.inbox import InboxScreen
from tui.screens.projects import ProjectsScreen
from tui.screens.task_editor import TaskEditor
from tui.screens.views import ViewsScreen

SIZES = [(80, 24), (120, 40), (60, 15)]
PASSWORD = "password-123"
LONG_TITLE = ("A very long title that goes on " * 17)[:500]


@pytest.fixture(scope="module")
def snap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, ApiUser]]:
    """Fixed users and tasks; dates far in the past or future so 'overdue' never drifts."""
    data = tmp_path_factory.mktemp("snap")
    srv = Server(server_env(data, None)).start(timeout=90)
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
        {"title": LONG_TITLE, "assignee_id": bob.id, "due_date": "2099-03-01"},
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
    labels = {
        name: alice.client.post(
            f"/api/projects/{pid}/labels", json={"name": name, "color": color}
        ).json()["id"]
        for name, color in (("docs", "blue"), ("bug", "red"))
    }
    tasks[0]["labels"] = [labels["docs"]]
    tasks[3]["labels"] = [labels["bug"], labels["docs"]]
    for body in tasks:
        r = alice.client.post(f"/api/projects/{pid}/tasks", json=body)
        assert r.status_code == 201, r.text
        if body["title"] == "Write the README":  # a checklist: 1/3 on its card
            for n in range(3):
                item = {"text": f"section {n}", "done": n == 0}
                url = f"/api/tasks/{r.json()['id']}/checklist"
                assert alice.client.post(url, json=item).status_code == 201
    for view in (
        {"name": "Overdue", "project_id": pid, "query": "overdue"},
        {"name": "Mine, in every project", "query": "@alice priority:high"},
        {"name": "L" * 64, "project_id": pid, "query": "readme " + LONG_TITLE},
    ):
        assert alice.client.post("/api/me/views", json=view).status_code == 201
    fix_notification_times(data / "taskroom.db")  # bob's inbox: three assignments
    yield srv, alice
    alice.close()
    bob.close()
    srv.stop()


def fix_notification_times(db: Path) -> None:
    """The inbox shows when: the rows get fixed past times (in their order) so it never drifts."""
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM notifications ORDER BY at, id")]
        for n, notification_id in enumerate(ids):
            at = f"2020-01-{n + 10:02d} 09:00:00.000000"
            conn.execute("UPDATE notifications SET at = ? WHERE id = ?", (at, notification_id))


@pytest.fixture
def own_project(snap_server: tuple[Server, ApiUser]) -> Iterator[tuple[ApiUser, str]]:
    """A project for the snapshots that change tasks, gone afterwards so the others never see it."""
    _, alice = snap_server
    pid = new_project(
        alice,
        "Moves",
        [{"title": f"Step {n}"} for n in range(1, 7)]
        + [{"title": f"Doing {n}", "status": "in_progress"} for n in range(1, 4)],
    )
    yield alice, pid
    assert alice.client.delete(f"/api/projects/{pid}").status_code == 204


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


async def detail_with_comments(pilot: Pilot[Any]) -> None:
    """The long card beside its pane, once the pane's comments have loaded."""
    await then("j", "P")(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BoardScreen)
    await until(pilot, lambda: screen.comments)
    await pilot.pause(0.3)


def then(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await on_board(pilot)
        await pilot.press(*keys)
        await pilot.pause(0.3)
        still(pilot)
        await pilot.pause()

    return run


async def typing_on_long_card(pilot: Pilot[Any]) -> None:
    """Bob edits the long card: his marker is drawn whole, the title gives way."""
    await on_board(pilot)
    screen = board(pilot.app)
    assert screen.store is not None
    task = next(t for t in screen.store.tasks.values() if t.title == LONG_TITLE)
    screen.redraw(screen.store.set_typing(task.id, "bob", True, time.monotonic()))
    await pilot.pause()


def in_moves(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await open_board(pilot, "Moves")
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        await pilot.pause()

    return run


def conflict(alice: ApiUser) -> Callable[[Pilot[Any]], Any]:
    """Alice edits "Step 1" while the server copy gains a long title and description."""

    async def run(pilot: Pilot[Any]) -> None:
        await open_board(pilot, "Moves")
        await pilot.press("e")
        editor = await until(
            pilot, lambda: isinstance(pilot.app.screen, TaskEditor) and pilot.app.screen
        )
        assert editor.editing is not None
        theirs = {
            "title": ("Their title, " + LONG_TITLE)[:500],
            "description": "Their description: " + LONG_TITLE,
            "priority": "urgent",
            "version": editor.editing.version,
        }
        r = await asyncio.to_thread(
            alice.client.patch, f"/api/tasks/{editor.editing.id}", json=theirs
        )
        assert r.status_code == 200, r.text
        editor.query_one("#title", Input).value = ("My title, " + LONG_TITLE)[:500]
        editor.query_one("#description", TextArea).text = "My description, kept short"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen))
        await pilot.pause()

    return run


async def on_projects(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen.projects)
    await pilot.pause()


async def on_inbox(pilot: Pilot[Any]) -> None:
    await on_projects(pilot)
    await pilot.press("i")
    await until(
        pilot, lambda: isinstance(pilot.app.screen, InboxScreen) and pilot.app.screen.loaded
    )
    await pilot.pause()


async def on_views(pilot: Pilot[Any]) -> None:
    """The saved views of the board: a long name and a long filter end in "…"."""
    await on_board(pilot)
    await pilot.press("w")
    await until(pilot, lambda: isinstance(pilot.app.screen, ViewsScreen) and pilot.app.screen.views)
    await pilot.pause(0.3)


async def on_login(pilot: Pilot[Any]) -> None:
    """Nothing answers at taskroom.test: the login screen says so before anything is typed."""
    message = pilot.app.screen.query_one("#login-message")
    await until(pilot, lambda: "Nothing answers" in str(message.render()))
    still(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    "screen",
    [
        "login",
        "projects",
        "board",
        "list",
        "editor",
        "help",
        "typing",
        "delete",
        "detail",
        "views",
        "save_view",
        "marked",
        "labels",
    ],
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
            "board": then("right"),
            "list": then("v", "s"),
            "editor": then("e"),
            "help": then("question_mark"),
            "typing": typing_on_long_card,
            "delete": then("j", "d"),  # the long card: its question leaves the buttons in view
            "detail": detail_with_comments,
            "views": on_views,
            "save_view": then("slash", *"overdue", "enter", "S"),
            "marked": then("space", "j", "j", "V"),  # ▌ on three cards, "3 marked"
            "labels": then("space", "j", "j", "space", "l"),  # bug on one of two: [-]
        }[screen]
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["moved", "conflict"])
def test_snapshot_after_changes(
    screen: str,
    size: tuple[int, int],
    snap_compare: Any,
    snap_server: tuple[Server, ApiUser],
    own_project: tuple[ApiUser, str],
    tmp_path: Path,
) -> None:
    """Two cards moved into a column scrolled to its end: no card cut in half; a conflict
    with long values: every column of the dialog shown, values whole below it."""
    server, alice = snap_server
    app = make_app(server.url, tmp_path, token=alice.token, live=False)
    run_before = in_moves("L", "h", "L") if screen == "moved" else conflict(alice)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_inbox(
    size: tuple[int, int],
    snap_compare: Any,
    snap_server: tuple[Server, ApiUser],
    tmp_path: Path,
) -> None:
    """Bob's inbox: three assignments by alice, unread, newest first; ✉ 3 in the header."""
    server, _ = snap_server
    r = httpx.post(
        f"{server.url}/api/auth/login", json={"username": "bob", "password": PASSWORD}, timeout=10
    )
    assert r.status_code == 200, r.text
    app = make_app(server.url, tmp_path, token=r.json()["access_token"], live=False)
    assert snap_compare(app, terminal_size=size, run_before=on_inbox)
