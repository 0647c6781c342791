"""Small things a new user notices: toasts, filter words, labels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from tests.support import ApiUser, RedisServer, Server, register, server_env
from tests.tui_support import (
    make_app,
    new_project,
    notices,
    open_board,
    task_by_title,
    titles,
    until,
)
from tui.screens.confirm import ConfirmScreen, PickScreen
from tui.screens.exports import WORKER_WAIT, ExportsScreen
from tui.screens.login import LoginScreen
from tui.screens.notices import NoticesScreen
from tui.screens.projects import ProjectsScreen
from tui.screens.ssh_keys import SshKeysScreen
from tui.screens.task_editor import TaskEditor

SIZE = (100, 30)


@pytest.fixture
def user(tui_server: Server) -> Iterator[ApiUser]:
    u = register(tui_server.url)
    yield u
    u.close()


async def test_identical_notice_is_not_stacked(tui_server: Server, tmp_path: Path) -> None:
    app = make_app(tui_server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        app.notify("Could not save: the server is away", severity="error")
        app.notify("Could not save: the server is away", severity="error")
        app.notify("Something else")
        await pilot.pause()
        assert notices(app).split(" | ").count("Could not save: the server is away") == 1
        assert "Something else" in notices(app)


async def test_recent_notices_stay_readable(tui_server: Server, tmp_path: Path) -> None:
    """A toast is gone in seconds; ctrl+n lists what the last ones said, newest first."""
    app = make_app(tui_server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        app.notify("Could not save: the server is away", severity="error", timeout=0.1)
        app.notify("Export ready", timeout=0.1)
        await pilot.pause(0.3)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, NoticesScreen))
        table: DataTable[Any] = app.screen.query_one(DataTable)
        rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert rows == ["Export ready", "Could not save: the server is away"]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))


async def test_sort_order_has_a_human_label(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    new_project(user, "Sorts", [{"title": "Alpha"}])
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Sorts")
        status = screen.query_one("#board-status", Static)
        seen = []
        for _ in range(3):
            await pilot.press("s")
            seen.append(str(status.content))
        assert screen.sort == "-updated_at"
        assert seen == [f"sorted by {x} (s)" for x in ("Priority", "Due date", "Updated ↓")]


async def test_filter_takes_the_labels_and_names_a_value_that_matches_nothing(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    new_project(
        user,
        "Filters",
        [{"title": "Alpha", "priority": "high"}, {"title": "Gamma", "status": "in_progress"}],
    )
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Filters")
        status = screen.query_one("#board-status", Static)
        for query in ("status:doing", "status:Doing", "status:In progress", "s:in_progress"):
            screen.query_one("#filter", Input).value = query
            await until(pilot, lambda: titles(app, "in_progress") == ["Gamma"])
            await until(pilot, lambda: not titles(app, "todo"))
        screen.query_one("#filter", Input).value = ""
        await pilot.press("slash", *"priority:foo")
        await until(pilot, lambda: titles(app, "todo") == ["Alpha"])
        assert "priority:foo is none of urgent, high" in str(status.content)
        await pilot.press("enter")
        await until(pilot, lambda: "priority:foo is none of urgent, high" in notices(app))
        screen.query_one("#filter", Input).value = "status:doing priority:HIGH"
        await until(pilot, lambda: not titles(app, "todo") and not titles(app, "in_progress"))
        assert "none of" not in str(status.content)


async def test_escape_in_the_editor_asks_only_when_something_changed(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Drafts", [{"title": "Alpha"}])
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Drafts")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskEditor))
        await pilot.press("escape")  # nothing changed: no question
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("enter")
        editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
        editor.query_one("#title", Input).value = "Alpha two"
        await pilot.press("escape")
        confirm = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        assert confirm.question == "Discard changes?"
        await pilot.press("n")  # keep editing: the edit is still there
        await until(pilot, lambda: app.screen is editor)
        assert editor.query_one("#title", Input).value == "Alpha two"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen)
    assert task_by_title(user, pid, "Alpha") is not None


@pytest.mark.parametrize("port", ["2022", None], ids=["port-given", "port-unknown"])
async def test_ssh_keys_screen_shows_the_gateways_port(
    tui_server: Server,
    user: ApiUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    port: str | None,
) -> None:
    if port is None:
        monkeypatch.delenv("TASKROOM_SSH_PORT", raising=False)
    else:
        monkeypatch.setenv("TASKROOM_SSH_PORT", port)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
        await pilot.press("s")
        screen = await until(pilot, lambda: isinstance(app.screen, SshKeysScreen) and app.screen)
        hint = str(screen.query_one("#ssh-keys-hint", Static).content)
    if port is None:
        assert f"`ssh -p <port> {user.username}@127.0.0.1`" in hint
        assert "set TASKROOM_SSH_PORT" in hint
    else:
        assert f"`ssh -p 2022 {user.username}@127.0.0.1`" in hint
        assert "2222" not in hint


async def test_export_pending_with_no_worker_says_so(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """With Redis, exports go to the queue; no `taskroom worker` runs here to take them."""
    srv = Server(server_env(tmp_path / "srv", None, redis_server.url)).start(timeout=90)
    try:
        u = register(srv.url)
        new_project(u, "Queued", [{"title": "Alpha"}])
        app = make_app(srv.url, tmp_path, token=u.token)
        async with app.run_test(size=SIZE) as pilot:
            await open_board(pilot, "Queued")
            await pilot.press("x")
            screen = await until(
                pilot, lambda: isinstance(app.screen, ExportsScreen) and app.screen
            )
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, PickScreen))
            await pilot.press("enter")
            status = screen.query_one("#export-status", Static)
            await until(pilot, lambda: str(status.content) == "csv export: pending")
            started = time.monotonic()
            await until(pilot, lambda: "waiting for a worker" in str(status.content))
            assert time.monotonic() - started >= WORKER_WAIT - 0.5
        u.close()
    finally:
        srv.stop()
