"""The Textual client, driven key by key with Pilot against a real `taskroom serve`."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual import events
from textual.widgets import DataTable, Input, ProgressBar, Static

from tests.support import ApiUser, Server, register, server_env
from tests.tui_support import (
    board,
    eventually,
    make_app,
    new_project,
    notices,
    open_board,
    selected,
    task_by_title,
    task_field,
    titles,
    until,
)
from tui.config import TokenStore
from tui.screens.confirm import ConfirmScreen, PickScreen, PromptScreen
from tui.screens.conflict import ConflictScreen
from tui.screens.exports import ExportsScreen
from tui.screens.help import HelpScreen
from tui.screens.labels import LabelPicker
from tui.screens.login import LoginScreen
from tui.screens.members import MembersScreen
from tui.screens.projects import ProjectsScreen
from tui.screens.task_editor import TaskEditor

SIZE = (100, 30)


@pytest.fixture
def user(tui_server: Server) -> Iterator[ApiUser]:
    u = register(tui_server.url)
    yield u
    u.close()


TASKS = [
    {"title": "Alpha", "priority": "high"},
    {"title": "Beta"},
    {"title": "Gamma", "status": "in_progress"},
]


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(c, c) for c in text])


# --- login, token, logout ------------------------------------------------------------------


async def test_login_keeps_token_0600_and_logout(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    app = make_app(tui_server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert app.focused is not None and app.focused.id == "username"
        await type_text(pilot, user.username)
        await pilot.press("tab")
        assert app.focused.id == "password"
        await type_text(pilot, "password-123")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
    path = tmp_path / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TokenStore(path).get(tui_server.url)

    again = make_app(tui_server.url, tmp_path)  # the kept token skips the login screen
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(again.screen, ProjectsScreen))
        await pilot.press("o")
        await until(pilot, lambda: isinstance(again.screen, LoginScreen))
    assert TokenStore(path).get(tui_server.url) is None


def burst(app: Any, text: str) -> None:
    """Keys as the driver hands out one read of the terminal: all queued before any is handled."""
    named = {"\t": "tab", "\r": "enter", "\n": "ctrl+j"}
    for char in text:
        app.post_message(events.Key(named.get(char, char), char))


@pytest.mark.parametrize("enter", ["\r", "\n"], ids=["enter", "line-feed"])
async def test_login_typed_in_one_burst(
    tui_server: Server, user: ApiUser, tmp_path: Path, enter: str
) -> None:
    """`\n`: an Enter typed before the app started, translated by a terminal still in line mode."""
    app = make_app(tui_server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen) and app.focused)
        burst(app, f"{user.username}\tpassword-123{enter}")
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
    again = make_app(tui_server.url, tmp_path / "again")
    async with again.run_test(size=SIZE) as pilot:  # Enter in the username goes on, too
        await until(pilot, lambda: isinstance(again.screen, LoginScreen) and again.focused)
        burst(again, f"{user.username}{enter}password-123{enter}")
        await until(pilot, lambda: isinstance(again.screen, ProjectsScreen))


async def test_wrong_password_register_and_taken_name(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    app = make_app(tui_server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await type_text(pilot, user.username)
        await pilot.press("tab")
        await type_text(pilot, "not-the-password")
        await pilot.press("enter")
        await until(pilot, lambda: "Wrong username or password" in _message(app))
        await pilot.press("ctrl+r")  # register the same name: taken
        await until(pilot, lambda: "taken" in _message(app))
        app.screen.query_one("#username", Input).value = f"n{uuid.uuid4().hex[:8]}"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))


def _message(app: Any) -> str:
    return str(app.screen.query_one("#login-message").render())


async def test_unreachable_server_and_rejected_token(tmp_path: Path, tui_server: Server) -> None:
    dead = make_app("http://127.0.0.1:9", tmp_path, token="whatever")
    async with dead.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(dead.screen, LoginScreen))
        await until(pilot, lambda: "nothing answers" in _message(dead).lower())
    rejected = make_app(tui_server.url, tmp_path, token="not-a-token")
    async with rejected.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "token was rejected" in _message(rejected))


async def test_login_says_at_once_the_server_is_away_and_sees_it_return(tmp_path: Path) -> None:
    srv = Server(server_env(tmp_path / "data", None))  # its port, with nothing there yet
    try:
        app = make_app(srv.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "nothing answers" in _message(app).lower(), 5)
            await asyncio.to_thread(srv.start, 90)
            await until(pilot, lambda: _message(app) == "")  # found again, without a key
            assert isinstance(app.screen, LoginScreen)
        mine = register(srv.url)
        srv.stop()
        kept = make_app(srv.url, tmp_path, token=mine.token)
        async with kept.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "nothing answers" in _message(kept).lower(), 5)
            await asyncio.to_thread(srv.start, 90)
            await until(pilot, lambda: isinstance(kept.screen, ProjectsScreen))  # resumed
        mine.close()
    finally:
        srv.stop()


async def test_env_token_is_used_and_never_written(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
        assert app.user is not None and app.user.username == user.username
    assert not (tmp_path / "credentials.json").exists()


async def test_server_going_away_does_not_crash(tmp_path: Path, user: ApiUser) -> None:
    srv = Server(server_env(tmp_path / "data", None)).start(timeout=90)
    try:
        mine = register(srv.url)
        new_project(mine, "Fragile", TASKS)
        app = make_app(srv.url, tmp_path, token=mine.token)
        async with app.run_test(size=SIZE) as pilot:
            await open_board(pilot, "Fragile")
            await until(pilot, lambda: app.connection[0] == "live")
            srv.stop()
            await until(pilot, lambda: app.connection[0] == "reconnecting")
            await pilot.press("r")
            await until(pilot, lambda: "cannot reach" in notices(app).lower())
            await pilot.press("L")  # an optimistic move that cannot be sent rolls back
            await until(pilot, lambda: "undone" in notices(app))
            assert titles(app, "todo")[0] == "Alpha"
        mine.close()
    finally:
        srv.stop()


# --- projects ------------------------------------------------------------------------------


async def test_projects_create_rename_delete_open(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "Garden")
        await pilot.press("enter")
        await until(pilot, lambda: [p.name for p in screen.projects] == ["Garden"])
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "Orchard"
        await pilot.press("enter")
        await until(pilot, lambda: [p.name for p in screen.projects] == ["Orchard"])
        assert screen.projects[0].role == "owner"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is not screen and board(app).store)
        await pilot.press("q")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: screen.projects == [])
    assert user.client.get("/api/projects").json() == []


# --- board keys ----------------------------------------------------------------------------


async def test_board_keys_move_priority_reorder_delete_undo(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Keys", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Keys")
        assert titles(app, "todo") == ["Alpha", "Beta"]
        assert titles(app, "in_progress") == ["Gamma"]
        await pilot.press("L")  # Alpha → in progress, shown at once
        assert "Alpha" in titles(app, "in_progress")
        await eventually(lambda: task_field(user, pid, "Alpha", "status") == "in_progress")
        await pilot.press("H")
        await eventually(lambda: task_field(user, pid, "Alpha", "status") == "todo")
        await until(pilot, lambda: selected(app).title == "Alpha")
        await pilot.press("J")  # Alpha below Beta
        assert titles(app, "todo") == ["Beta", "Alpha"]
        await pilot.press("K")
        assert titles(app, "todo") == ["Alpha", "Beta"]
        await pilot.press("p")  # high → urgent
        await eventually(lambda: task_field(user, pid, "Alpha", "priority") == "urgent")
        await pilot.press("u")  # undo my last change: back to high
        await eventually(lambda: task_field(user, pid, "Alpha", "priority") == "high")
        await pilot.press("j", "right", "h")  # cursor to Beta, over and back
        assert selected(app).title == "Beta"
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await eventually(lambda: task_by_title(user, pid, "Beta") is None)
        await until(pilot, lambda: "Beta" not in titles(app, "todo"))
        await pilot.press("u")  # undo the delete: Beta comes back
        await eventually(lambda: task_by_title(user, pid, "Beta") is not None)
        await until(pilot, lambda: "Beta" in titles(app, "todo"))


async def test_board_new_edit_assign_and_inline_validation(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Forms", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Forms")
        await pilot.press("n")
        editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
        await pilot.press("ctrl+s")  # empty title: the server's 400 shows under the field
        await until(pilot, lambda: shown(editor, "#error-title") == "Required.")
        editor.query_one("#title", Input).value = "x" * 510
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "At most 500 characters" in shown(editor, "#error-title"))
        editor.query_one("#title", Input).value = ""
        await type_text(pilot, "Delta")
        editor.query_one("#due_date", Input).value = "2026-13-45"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "use YYYY-MM-DD" in shown(editor, "#error-due_date"))
        assert shown(editor, "#error-title") == ""  # the fixed field's message is gone
        editor.query_one("#due_date", Input).value = "2030-01-02"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Delta" in titles(app, "todo"))
        created = await eventually(lambda: task_by_title(user, pid, "Delta"))
        assert created["due_date"] == "2030-01-02"
        assert selected(app).title == "Delta"
        await pilot.press("enter")  # edit the selected card
        editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
        editor.query_one("#title", Input).value = "Delta two"
        await pilot.press("ctrl+s")
        await eventually(lambda: task_by_title(user, pid, "Delta two"))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("down", "enter")  # the only member: me
        await eventually(lambda: task_field(user, pid, "Delta two", "assignee_id") == user.id)


async def test_editor_picks_labels_saved_with_the_form(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Labelled", TASKS)
    ids = {
        name: user.client.post(
            f"/api/projects/{pid}/labels", json={"name": name, "color": color}
        ).json()["id"]
        for name, color in (("ui", "blue"), ("bug", "red"))
    }
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Labelled")
        await pilot.press("n")
        editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
        await type_text(pilot, "Tagged")
        assert shown(editor, "#labels") == "none"
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LabelPicker))
        await pilot.press("space", "down", "space", "enter")  # bug, then ui (by name)
        await until(pilot, lambda: app.screen is editor and shown(editor, "#labels") == "#bug #ui")
        await pilot.press("ctrl+s")
        created = await eventually(lambda: task_by_title(user, pid, "Tagged"))
        assert sorted(created["labels"]) == sorted(ids.values())
        await until(pilot, lambda: selected(app).title == "Tagged")
        await pilot.press("enter")
        editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
        await until(pilot, lambda: shown(editor, "#labels") == "#bug #ui")
        await pilot.press("ctrl+l", "space", "escape")  # cancelled: nothing changes
        await until(pilot, lambda: app.screen is editor and shown(editor, "#labels") == "#bug #ui")
        await pilot.press("ctrl+l", "space", "enter")  # bug off
        await until(pilot, lambda: app.screen is editor and shown(editor, "#labels") == "#ui")
        await pilot.press("ctrl+s")
        await eventually(lambda: task_field(user, pid, "Tagged", "labels") == [ids["ui"]])


def shown(screen: Any, selector: str) -> str:
    """The text of a widget as far as it is on screen: "" while it is hidden."""
    widget = screen.query_one(selector)
    if not widget.display or not widget.region or not screen.region.contains_region(widget.region):
        return ""
    return str(widget.render())


@pytest.mark.parametrize("live", [True, False], ids=["live-event", "404-on-save"])
async def test_editor_keeps_an_edit_to_a_task_deleted_elsewhere(
    tui_server: Server, user: ApiUser, tmp_path: Path, live: bool
) -> None:
    pid = new_project(user, "Vanishing", [{"title": "Doomed"}])
    doomed = task_by_title(user, pid, "Doomed")
    assert doomed is not None
    app = make_app(tui_server.url, tmp_path, token=user.token, live=live)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Vanishing")
        if live:
            await until(pilot, lambda: app.connection[0] == "live")
        await pilot.press("enter")
        editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
        editor.query_one("#title", Input).value = "Doomed, rescued"
        assert user.client.delete(f"/api/tasks/{doomed['id']}").status_code == 204
        if not live:
            await pilot.press("ctrl+s")
        await until(pilot, lambda: "deleted this task" in shown(editor, "#error-general"))
        assert app.screen is editor
        assert editor.query_one("#title", Input).value == "Doomed, rescued"
        await pilot.press("ctrl+s")  # saved again: a new task with the text
        await until(pilot, lambda: not isinstance(app.screen, TaskEditor))
        await eventually(lambda: task_by_title(user, pid, "Doomed, rescued"))


async def test_editor_says_the_server_is_down_and_keeps_the_edit(tmp_path: Path) -> None:
    srv = Server(server_env(tmp_path / "data", None)).start(timeout=90)
    try:
        mine = register(srv.url)
        new_project(mine, "Offline", TASKS)
        app = make_app(srv.url, tmp_path, token=mine.token)
        async with app.run_test(size=SIZE) as pilot:
            await open_board(pilot, "Offline")
            await pilot.press("enter")
            editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
            editor.query_one("#title", Input).value = "Written offline"
            srv.stop()
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "cannot reach" in shown(editor, "#error-general"))
            assert app.screen is editor
            assert editor.query_one("#title", Input).value == "Written offline"
        mine.close()
    finally:
        srv.stop()


async def test_detail_pane_history_tab_follows_live_changes(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    """`t` opens the pane, `t` again shows the History tab; a change made elsewhere reloads it."""
    from textual.widgets import Static

    pid = new_project(user, "History", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "History")

        def history() -> str:
            return str(screen.query_one("#detail-history", Static).content)

        await pilot.press("t")
        await until(pilot, lambda: screen.query_one("#detail").display)
        assert "[Comments]" in str(screen.query_one("#detail-tabs", Static).content)
        await pilot.press("t")
        assert "[History]" in str(screen.query_one("#detail-tabs", Static).content)
        await until(pilot, lambda: "created task 'Alpha'" in history())
        alpha = task_by_title(user, pid, "Alpha")
        assert alpha is not None
        r = user.client.patch(f"/api/tasks/{alpha['id']}", json={"priority": "low"})
        assert r.status_code == 200, r.text
        await until(pilot, lambda: "priority: high → low" in history())
        await pilot.press("t")  # back to the comments
        assert "[Comments]" in str(screen.query_one("#detail-tabs", Static).content)


async def test_filter_list_view_sort_refresh_help(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    new_project(user, "Views", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Views")
        await pilot.press("slash")
        await type_text(pilot, "priority:high")
        await until(pilot, lambda: titles(app, "todo") == ["Alpha"] and not titles(app, "done"))
        await pilot.press("enter")
        await pilot.press("escape")  # clears the filter
        await until(pilot, lambda: titles(app, "todo") == ["Alpha", "Beta"])
        await pilot.press("v")
        assert screen.list_mode
        await pilot.press("s")  # sort by priority: Alpha (high) first
        assert screen.sort == "priority"
        rows = screen.query_one("#task-list", DataTable)
        assert rows.get_row_at(0)[0].plain == "Alpha"
        await pilot.press("v")
        assert not screen.list_mode
        user.client.post(f"/api/projects/{screen.project_id}/tasks", json={"title": "Zeta"})
        await pilot.press("r")
        await until(pilot, lambda: "Zeta" in titles(app, "todo"))
        await pilot.press("question_mark")
        help_screen = await until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        keys = help_screen.query_one("#help-keys", DataTable)
        assert keys.row_count > 15
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))


async def test_remapped_key(tui_server: Server, user: ApiUser, tmp_path: Path) -> None:
    new_project(user, "Remap", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    app._keymap = {"board.priority": "P"}
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Remap")
        await pilot.press("p")
        assert selected(app).priority == "high"
        await pilot.press("P")
        assert selected(app).priority == "urgent"


async def test_viewer_cannot_edit_and_is_told_why(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Shared", TASKS)
    viewer = register(tui_server.url)
    r = user.client.post(
        f"/api/projects/{pid}/members", json={"username": viewer.username, "role": "viewer"}
    )
    assert r.status_code == 201
    app = make_app(tui_server.url, tmp_path, token=viewer.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Shared")
        for key in ("L", "p", "d", "n", "u"):
            await pilot.press(key)
        await until(pilot, lambda: "Read-only" in notices(app))
        assert isinstance(app.screen, type(board(app)))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MembersScreen))
        await pilot.press("a")
        await until(pilot, lambda: "Only the project's owner" in notices(app))
    assert task_field(user, pid, "Alpha", "status") == "todo"
    viewer.close()


async def test_members_add_change_role_remove(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Team", [])
    friend = register(tui_server.url)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Team")
        await pilot.press("m")
        screen = await until(pilot, lambda: isinstance(app.screen, MembersScreen) and app.screen)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, friend.username)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # editor
        await until(pilot, lambda: len(screen.store.members) == 2)
        await pilot.press("down", "e")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("down", "enter")  # viewer

        def members() -> Any:
            return user.client.get(f"/api/projects/{pid}").json()["members"]

        await eventually(lambda: {m["role"] for m in members()} == {"owner", "viewer"})
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await eventually(lambda: len(members()) == 1)
    friend.close()


async def test_conflict_keep_mine_and_keep_theirs(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Clash", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Clash")
        for choice, expected in (("m", "Mine m"), ("t", "Theirs 2")):
            await pilot.press("e")
            editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
            task = task_by_title(user, pid, "Alpha") or task_by_title(user, pid, "Mine m")
            assert task is not None
            theirs = "Theirs" if choice == "m" else "Theirs 2"
            r = user.client.patch(f"/api/tasks/{task['id']}", json={"title": theirs})
            assert r.status_code == 200
            editor.query_one("#title", Input).value = f"Mine {choice}"
            await pilot.press("ctrl+s")
            conflict = await until(
                pilot, lambda: isinstance(app.screen, ConflictScreen) and app.screen
            )
            assert conflict.fields == ["title"]
            await pilot.press(choice)
            await eventually(lambda: task_by_title(user, pid, expected))  # noqa: B023
            await until(pilot, lambda: selected(app).title == expected)  # noqa: B023


async def test_rejected_move_rolls_back(tui_server: Server, user: ApiUser, tmp_path: Path) -> None:
    pid = new_project(user, "Rollback", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Rollback")
        alpha = task_by_title(user, pid, "Alpha")
        assert alpha is not None
        user.client.delete(f"/api/tasks/{alpha['id']}")  # gone on the server, not here
        await pilot.press("L")
        await until(pilot, lambda: "undone" in notices(app))
        assert titles(app, "todo")[0] == "Alpha"
        assert "Alpha" not in titles(app, "in_progress")


async def test_exports_screen_progress_and_save(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    new_project(user, "Exports", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Exports")
        await until(pilot, lambda: app.connection[0] == "live")
        await pilot.press("x")
        screen = await until(pilot, lambda: isinstance(app.screen, ExportsScreen) and app.screen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("down", "enter")  # json
        # COMPLETED arrives as an `export:updated` event: no refresh key pressed
        await until(pilot, lambda: [j.status for j in screen.jobs.values()] == ["COMPLETED"])
        bar = screen.query_one("#export-progress", ProgressBar)
        assert bar.progress == 1.0
        await pilot.press("s")
        prompt = await until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen)
        target = tmp_path / "out" / "tasks.json"
        target.parent.mkdir()
        prompt.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: target.exists())
        assert "Alpha" in json.dumps(json.loads(target.read_text()))
        await pilot.press("q")
        await until(pilot, lambda: board(app))


async def test_over_ssh_an_export_is_offered_as_a_link_copied_to_the_clipboard(
    tui_server: Server, user: ApiUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway's environment: a saved file would stay on the gateway, so `s` gives a link
    (to the public URL) with a `curl` line, copied by OSC 52."""
    monkeypatch.setenv("TASKROOM_SESSION", "ssh")
    monkeypatch.setenv("TASKROOM_PUBLIC_URL", tui_server.url + "/")
    new_project(user, "Over ssh", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot, "Over ssh")
        await pilot.press("x")
        screen = await until(pilot, lambda: isinstance(app.screen, ExportsScreen) and app.screen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # csv
        await until(pilot, lambda: [j.status for j in screen.jobs.values()] == ["COMPLETED"])
        await pilot.press("s")
        url = await until(pilot, lambda: app.clipboard)
        assert not isinstance(app.screen, PromptScreen)  # no path on the gateway asked for
        assert url.startswith(f"{tui_server.url}/api/exports/") and "/file?token=" in url
        shown = str(screen.query_one("#export-link", Static).render())
        assert "valid until" in shown and "curl -fo Over-ssh-" in shown and url in shown
        assert "link instead" in notices(app)
    got = await asyncio.to_thread(httpx.get, url)  # no login: the link is the credential
    assert got.status_code == 200 and "Alpha" in got.text


def test_cli_tui_rejects_bad_server_url() -> None:
    r = _run_cli("tui", "--server", "ftp://nope")
    assert r.returncode == 1
    assert "http(s) URL" in r.stderr and "Traceback" not in r.stderr


def _run_cli(*args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "taskroom_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TASKROOM_TOKEN": ""},
    )


def test_health_of_fixture(tui_server: Server) -> None:
    assert httpx.get(f"{tui_server.url}/health").status_code == 200


async def test_logout_with_a_handed_in_token_ends_the_app(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    """TASKROOM_TOKEN (the SSH front door) is the session's identity: no login as another."""
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
        await pilot.press("o")
        await until(pilot, lambda: not app.is_running)
    assert not (tmp_path / "credentials.json").exists()


# --- access tokens -------------------------------------------------------------------------


async def test_tokens_create_shown_once_and_revoke(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    from tui.screens.tokens import TokensScreen

    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
        await pilot.press("t")
        screen = await until(pilot, lambda: isinstance(app.screen, TokensScreen) and app.screen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "ci")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # read
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "7")
        await pilot.press("enter")
        await until(pilot, lambda: len(screen.tokens) == 1 and screen.shown is not None)
        secret = screen.shown
        assert secret is not None and secret.startswith("trp_")
        assert screen.tokens[0].scope == "read" and screen.tokens[0].expires_at is not None
        bearer = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(base_url=tui_server.url, headers=bearer) as pat:
            r = await pat.get("/api/me")
            assert r.status_code == 200 and r.json()["id"] == user.id
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: screen.tokens == [])
            assert (await pat.get("/api/me")).status_code == 401
