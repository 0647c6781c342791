"""Finding tasks in the TUI, driven with Pilot against a real server: the richer filter
language on the board, search from the palette across projects, and saved views."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from tests.support import Server, register
from tests.tui_support import make_app, new_project, open_board, titles, until

SIZE = (100, 30)


def day(offset: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=offset)).isoformat()


async def type_text(pilot: Any, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_board_filters_by_due_dates_overdue_and_nobody(
    tui_server: Server, tmp_path: Path
) -> None:
    user = register(tui_server.url)
    tasks = [
        {"title": "Late", "due_date": day(-2)},
        {"title": "Today", "due_date": day(0), "assignee_id": user.id},
        {"title": "Later", "due_date": day(30)},
        {"title": "Late but done", "due_date": day(-5), "status": "done"},
        {"title": "Someday"},
    ]
    new_project(user, "Dates", tasks)
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Dates")
        cards = " ".join(str(screen.column("todo").render_line(y).text) for y in range(15))
        assert f"!due {day(-2)[5:]}" in cards and "due today!" in cards
        await pilot.press("slash")
        await type_text(pilot, "overdue")
        await until(pilot, lambda: titles(app, "todo") == ["Late"] and not titles(app, "done"))
        await pilot.press("ctrl+u")
        await type_text(pilot, f"due:>{day(0)} due:<{day(30)}")
        await until(pilot, lambda: titles(app, "todo") == ["Today", "Later"])
        await pilot.press("ctrl+u")
        await type_text(pilot, "assignee:none")
        await until(pilot, lambda: titles(app, "todo") == ["Late", "Later", "Someday"])
        assert titles(app, "done") == ["Late but done"]
        await pilot.press("ctrl+u")
        await type_text(pilot, "due:<soon")
        status = screen.query_one("#board-status")
        await until(pilot, lambda: "due:<soon is not" in str(status.render()))
        assert len(titles(app, "todo")) == 4  # the bad bound is left out, not a blank board
        await pilot.press("ctrl+u", "enter")
        await pilot.press("v")
        rows = screen.query_one("#task-list", DataTable)
        dues = {str(rows.get_row_at(i)[0]): str(rows.get_row_at(i)[4]) for i in range(5)}
        assert dues["Late"] == f"!{day(-2)}" and dues["Today"] == f"{day(0)}!"
        assert dues["Later"] == day(30) and dues["Late but done"] == day(-5)
    user.close()
