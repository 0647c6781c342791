"""Finding tasks in the TUI, driven with Pilot against a real server: the richer filter
language on the board, search from the palette across projects, and saved views."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable, Static

from tests.support import Server, register
from tests.tui_support import (
    board,
    make_app,
    new_project,
    notices,
    open_board,
    selected,
    titles,
    until,
)
from tui.app import TaskroomApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.views import SaveViewScreen, ViewsScreen
from tui.widgets.task_list import LIST_COLUMNS

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
        due = [key for key, _label, _width in LIST_COLUMNS].index("due")
        dues = {str(rows.get_row_at(i)[0]): str(rows.get_row_at(i)[due]) for i in range(5)}
        assert dues["Late"] == f"!{day(-2)}" and dues["Today"] == f"{day(0)}!"
        assert dues["Later"] == day(30) and dues["Late but done"] == day(-5)
    user.close()


async def offered(pilot: Any, query: str, expect: str) -> list[str]:
    """Type `query` into the open palette; what it offers ("prompt | help") once `expect` is."""
    screen = pilot.app.screen
    assert isinstance(screen, CommandPalette)
    await type_text(pilot, query)
    hits = screen.query_one(CommandList)

    def lines() -> list[str]:
        return [f"{o.prompt}" for o in hits.options]

    seen: list[list[str]] = [[]]

    def settled() -> bool:
        """`expect` offered, and the list as it was 0.6 s ago (every provider has answered)."""
        now, seen[0] = seen[0], lines()
        return now == seen[0] and any(expect in line for line in now)

    await until(pilot, lambda: any(expect in line for line in lines()))
    while not settled():
        await pilot.pause(0.6)
    return seen[0]


async def test_search_from_the_palette_lands_on_the_task_in_its_board(
    tui_server: Server, tmp_path: Path
) -> None:
    user = register(tui_server.url)
    new_project(
        user, "Garden", [{"title": "Water the ferns", "description": "Use the rain barrel"}]
    )
    new_project(
        user,
        "Kitchen",
        [
            {"title": "Buy flour"},
            {"title": "Descale the kettle", "status": "in_progress"},
            {"title": "[b]Bold[/b] [@click=app.quit]trap kettle"},
        ],
    )
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    calls: list[str] = []
    search = app.api.search

    async def counted(query: str, limit: int = 20) -> Any:
        calls.append(query)
        return await search(query, limit)

    app.api.search = counted  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Garden")
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        found = await offered(pilot, "kettle desc", "Descale the kettle")
        assert calls == ["kettle desc"]  # typed in one go: one request, after the pause
        hit = next(line for line in found if "Descale" in line)
        assert "Kitchen · «Descale» the «kettle»" in hit.replace("\n", " ")
        await pilot.press("enter")
        await until(pilot, lambda: board(app) is not screen and board(app).store is not None)
        kitchen = board(app)
        assert kitchen.store is not None and kitchen.store.project.name == "Kitchen"
        await until(pilot, lambda: selected(app).title == "Descale the kettle")
        assert kitchen.focused is kitchen.column("in_progress")
        assert len(app.screen_stack) == 3  # the Garden board went

        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        found = await offered(pilot, "trap", "trap kettle")
        assert any("[b]Bold[/b] [@click=app.quit]trap kettle" in line for line in found)
        await pilot.press("ctrl+u")
        found = await offered(pilot, " ".join("abcdefghijklmnopq"), "Search: ")  # 17 words: 400
        await pilot.press("escape")

        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        found = await offered(pilot, "barrel", "Water the ferns")  # a description's word
        assert any("Garden · Use the rain «barrel»" in line for line in found), found
        await pilot.press("enter")
        await until(pilot, lambda: (s := board(app).store) and s.project.name == "Garden")
        await until(pilot, lambda: selected(app).title == "Water the ferns")
    assert isinstance(app, TaskroomApp) and not app.worker_errors
    user.close()


async def test_saved_views_save_recall_from_key_and_palette_and_delete(
    tui_server: Server, tmp_path: Path
) -> None:
    user = register(tui_server.url)
    tasks = [{"title": "Late", "due_date": day(-3)}, {"title": "Calm"}]
    new_project(user, "Dates", tasks)
    other = new_project(user, "Elsewhere", [])
    user.client.post("/api/me/views", json={"name": "Not here", "project_id": other, "query": "x"})
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Dates")
        await pilot.press("S")
        await until(pilot, lambda: "No filter to save" in notices(app))
        await pilot.press("slash")
        await type_text(pilot, "overdue")
        await pilot.press("enter")
        await pilot.press("S")
        dialog = await until(pilot, lambda: isinstance(app.screen, SaveViewScreen) and app.screen)
        await pilot.press("enter")  # no name: the server's 400 is said in the dialog
        error = dialog.query_one("#save-view-error", Static)
        await until(pilot, lambda: error.has_class("-shown") and str(error.render()))
        assert app.screen is dialog
        await type_text(pilot, "late ones")
        await pilot.press("tab", "down", "space")  # for every project
        await pilot.press("shift+tab", "enter")
        await until(pilot, lambda: app.screen is screen)
        saved = user.client.get("/api/me/views").json()
        mine = next(v for v in saved if v["name"] == "late ones")
        assert mine["project_id"] is None and mine["query"] == "overdue"

        await pilot.press("slash", "ctrl+u", "enter")
        await until(pilot, lambda: titles(app, "todo") == ["Late", "Calm"])
        await pilot.press("w")
        views = await until(pilot, lambda: isinstance(app.screen, ViewsScreen) and app.screen)
        await until(pilot, lambda: [v.name for v in views.views] == ["late ones"])  # not "Not here"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen and titles(app, "todo") == ["Late"])

        await pilot.press("slash", "ctrl+u", "enter")
        await until(pilot, lambda: titles(app, "todo") == ["Late", "Calm"])
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        found = await offered(pilot, "view late", "View: late ones")
        assert found[0].startswith("View: late ones"), found
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen and titles(app, "todo") == ["Late"])

        await pilot.press("w")
        views = await until(pilot, lambda: isinstance(app.screen, ViewsScreen) and app.screen)
        await until(pilot, lambda: views.views)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not views.views and app.screen is views)
        assert [v["name"] for v in user.client.get("/api/me/views").json()] == ["Not here"]
    user.close()


def card_text(screen: Any, status: str) -> str:
    column = screen.column(status)
    return " ".join(str(column.render_line(y).text) for y in range(column.size.height))


async def test_label_chips_checklist_progress_and_label_filter_live(
    tui_server: Server, tmp_path: Path
) -> None:
    user = register(tui_server.url)
    pid = new_project(user, "Labels", [])
    made = [
        user.client.post(f"/api/projects/{pid}/labels", json={"name": n, "color": c}).json()
        for n, c in (("bug", "red"), ("ui", "teal"))
    ]
    bug, ui = (label["id"] for label in made)
    for title, labels in (("Crash", [bug]), ("Colours", [bug, ui]), ("Docs", [])):
        r = user.client.post(f"/api/projects/{pid}/tasks", json={"title": title, "labels": labels})
        assert r.status_code == 201, r.text
        if title == "Crash":
            crash = r.json()["id"]
    for n in range(3):
        body = {"text": f"step {n}", "done": n == 0}
        assert user.client.post(f"/api/tasks/{crash}/checklist", json=body).status_code == 201
    app = make_app(tui_server.url, tmp_path, token=user.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Labels")
        await until(pilot, lambda: app.connection[0] == "live")
        text = card_text(screen, "todo")
        assert "☑1/3 #bug" in text and "#bug #ui" in text
        await pilot.press("slash")
        await type_text(pilot, "label:bug label:ui")
        await until(pilot, lambda: titles(app, "todo") == ["Colours"])
        await pilot.press("enter")
        r = user.client.patch(f"/api/labels/{bug}", json={"name": "defect"})
        assert r.status_code == 200, r.text
        await until(
            pilot, lambda: "#defect #ui" in card_text(screen, "todo") or not titles(app, "todo")
        )
        status = screen.query_one("#board-status")
        await until(pilot, lambda: "no label 'bug' here" in str(status.render()))
        assert titles(app, "todo") == []
    user.close()
