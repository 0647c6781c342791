"""Marks on the board: space, V, * and esc; H, d and l act on every marked task with one bulk
request, one u undoes it, a refused bulk change is rolled back with the server's reason."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from api import wire
from tests.support import ApiUser, Server, register
from tests.tui_support import (
    board,
    eventually,
    make_app,
    new_project,
    notices,
    open_board,
    task_by_title,
    task_field,
    titles,
    until,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.labels import LabelPicker

SIZE = (100, 30)
TASKS = [{"title": f"T{n}"} for n in range(1, 6)]
THREE = ("T1", "T2", "T3")


@pytest.fixture
def user(tui_server: Server) -> ApiUser:
    return register(tui_server.url)


async def all_three(user: ApiUser, pid: str, field: str, value: Any) -> None:
    """T1, T2 and T3 all hold `value` in `field` on the server, sooner or later."""
    await eventually(lambda: all(task_field(user, pid, t, field) == value for t in THREE))


def marked_titles(app: object) -> list[str]:
    screen = board(app)  # type: ignore[arg-type]
    return sorted(t.title for t in screen.marked_tasks())


async def test_marks_space_range_all_and_esc(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    new_project(user, "Marks", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Marks")
        await pilot.press("space", "j", "j", "V")  # T1 by hand, then the range to T3
        assert marked_titles(app) == ["T1", "T2", "T3"]
        assert "3 marked" in str(screen.query_one("#board-status").render())
        await pilot.press("k", "space")  # unmark T2
        assert marked_titles(app) == ["T1", "T3"]
        await pilot.press("escape")  # clears the marks, the board stays
        assert marked_titles(app) == [] and board(app) is screen
        await pilot.press("asterisk")
        assert marked_titles(app) == ["T1", "T2", "T3", "T4", "T5"]
        await pilot.press("escape", "escape")  # the second esc means back
        await until(pilot, lambda: app.screen is not screen)


async def test_bulk_move_delete_labels_and_one_undo(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Bulk", TASKS)
    bug = user.client.post(f"/api/projects/{pid}/labels", json={"name": "bug", "color": "red"})
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Bulk")
        await pilot.press("space", "j", "space", "j", "space")  # T1 T2 T3
        sent: list[object] = []
        real = app.api.bulk_set

        async def counted(
            project_id: uuid.UUID, task_ids: list[uuid.UUID], fields: dict[str, Any]
        ) -> list[wire.Task]:
            sent.append(task_ids)
            return await real(project_id, task_ids, fields)

        app.api.bulk_set = counted  # type: ignore[method-assign]
        await pilot.press("L")
        await all_three(user, pid, "status", "in_progress")
        assert len(sent) == 1  # one request for the three
        assert titles(app, "in_progress") == ["T1", "T2", "T3"]
        await pilot.press("u")  # one undo: all three back, with one request
        await all_three(user, pid, "status", "todo")
        assert len(sent) == 2
        await until(pilot, lambda: titles(app, "todo")[:3] == ["T1", "T2", "T3"])

        await pilot.press("l")  # labels on the three marked
        picker = await until(pilot, lambda: isinstance(app.screen, LabelPicker) and app.screen)
        await pilot.press("space", "enter")
        await until(pilot, lambda: app.screen is not picker)
        label_id = bug.json()["id"]
        await all_three(user, pid, "labels", [label_id])
        assert task_field(user, pid, "T4", "labels") == []

        await pilot.press("d")
        question = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        assert "Delete 3 tasks?" in question.question
        await pilot.press("y")
        await eventually(lambda: task_by_title(user, pid, "T2") is None)
        assert board(app).marked_tasks() == []  # gone: dropped out of the marks
        await pilot.press("u")  # recreated, labels and all
        await all_three(user, pid, "labels", [label_id])
        await pilot.press("u")  # the chain goes on: the labels come off the recreated tasks
        await all_three(user, pid, "labels", [])


async def test_l_without_marks_and_a_refused_bulk_rolls_back(
    tui_server: Server, user: ApiUser, tmp_path: Path
) -> None:
    pid = new_project(user, "Refused", TASKS[:2])
    bug = user.client.post(f"/api/projects/{pid}/labels", json={"name": "bug", "color": "red"})
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "Refused")
        await pilot.press("l", "space", "enter")  # T1 alone
        await eventually(lambda: task_field(user, pid, "T1", "labels") == [bug.json()["id"]])
        assert task_field(user, pid, "T2", "labels") == []
        await pilot.press("space", "j", "space")
        # gone behind the API's back (no event): the bulk names a missing task, refused whole
        path = tui_server.env["TASKROOM_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "DELETE FROM tasks WHERE title = 'T2' AND project_id = ?", (uuid.UUID(pid).hex,)
            )
        assert task_by_title(user, pid, "T2") is None
        await pilot.press("L")
        await until(pilot, lambda: "undone" in notices(app))
        await until(pilot, lambda: "T1" in titles(app, "todo"))
        assert task_field(user, pid, "T1", "status") == "todo"
