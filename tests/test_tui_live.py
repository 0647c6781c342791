"""Two TUI apps, two users, one server: edits, moves, typing and a conflict cross over live."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.support import Server, register
from tests.tui_support import (
    board,
    eventually,
    make_app,
    new_project,
    open_board,
    selected,
    store_of,
    titles,
    until,
)
from tui.screens.conflict import ConflictScreen
from tui.screens.projects import ProjectsScreen
from tui.screens.task_editor import TaskEditor

SIZE = (100, 30)


async def test_two_clients_see_each_other_live(tui_server: Server, tmp_path: Path) -> None:
    alice, bob = register(tui_server.url), register(tui_server.url)
    pid = new_project(alice, "Together", [{"title": "Seed"}])
    r = alice.client.post(
        f"/api/projects/{pid}/members", json={"username": bob.username, "role": "editor"}
    )
    assert r.status_code == 201
    app_a = make_app(tui_server.url, tmp_path / "a", token=alice.token)
    app_b = make_app(tui_server.url, tmp_path / "b", token=bob.token)
    async with app_a.run_test(size=SIZE) as pa, app_b.run_test(size=SIZE) as pb:
        await open_board(pa, "Together")
        board_b = await open_board(pb, "Together")
        await until(pa, lambda: app_a.connection[0] == "live")
        await until(pb, lambda: app_b.connection[0] == "live")

        def here() -> set[str]:
            return {u.username for u in store_of(board_b).presence}

        try:
            await until(pb, lambda: here() >= {alice.username, bob.username})
        except AssertionError:
            live = app_b.live and app_b.live.presence
            raise AssertionError(f"presence {here()} / {live}") from None

        # created in A → appears in B without a key press there
        await pa.press("n")
        editor = await until(pa, lambda: isinstance(app_a.screen, TaskEditor) and app_a.screen)
        editor.query_one("#title", Input).value = "Live one"
        await pa.press("ctrl+s")
        await until(pb, lambda: "Live one" in titles(app_b, "todo"))

        # moved in A → moves in B
        await until(pa, lambda: selected(app_a).title == "Live one")
        await pa.press("L")
        await until(pb, lambda: "Live one" in titles(app_b, "in_progress"))

        # A edits: B sees "✎ alice" on the card, then the new title
        await pa.press("e")
        editor = await until(pa, lambda: isinstance(app_a.screen, TaskEditor) and app_a.screen)
        task_id = editor.editing.id
        await until(pb, lambda: alice.username in store_of(board_b).typing_label(task_id))
        editor.query_one("#title", Input).value = "Live one, edited"
        await pa.press("ctrl+s")
        await until(pb, lambda: "Live one, edited" in titles(app_b, "in_progress"))
        await until(pb, lambda: not store_of(board_b).typing_label(task_id))

        # B opens the editor, A changes the priority meanwhile, B saves: the dialog merges
        board_b.select(task_id)
        await pb.press("e")
        editor_b = await until(pb, lambda: isinstance(app_b.screen, TaskEditor) and app_b.screen)
        await until(pa, lambda: bob.username in store_of(board(app_a)).typing_label(task_id))
        await pa.press("p")
        await eventually(
            lambda: alice.client.get(f"/api/tasks/{task_id}").json()["priority"] == "high"
        )
        editor_b.query_one("#title", Input).value = "Bob's title"
        await pb.press("ctrl+s")
        await until(pb, lambda: isinstance(app_b.screen, ConflictScreen))
        await pb.press("s")  # save the merge: my title on top of their priority
        await eventually(
            lambda: alice.client.get(f"/api/tasks/{task_id}").json()["title"] == "Bob's title"
        )
        final = alice.client.get(f"/api/tasks/{task_id}").json()
        assert final["priority"] == "high"
        await until(pa, lambda: "Bob's title" in titles(app_a, "in_progress"))
        assert not app_a.worker_errors and not app_b.worker_errors
    alice.close()
    bob.close()


async def test_burst_of_events_is_coalesced(
    tui_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 HTTP edits in a burst land in at most 10 redraws a second, and all of them show."""
    owner = register(tui_server.url)
    pid = new_project(owner, "Burst", [{"title": "t0"}])
    app = make_app(tui_server.url, tmp_path, token=owner.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Burst")
        await until(pilot, lambda: app.connection[0] == "live")
        redraws: list[float] = []  # when each one ran
        original = screen.redraw

        def counting(touched: set[str]) -> None:
            redraws.append(time.monotonic())
            original(touched)

        monkeypatch.setattr(screen, "redraw", counting)

        def burst() -> None:
            for i in range(200):
                owner.client.post(f"/api/projects/{pid}/tasks", json={"title": f"b{i}"})

        await asyncio.to_thread(burst)
        await until(pilot, lambda: len(store_of(screen).tasks) == 201, wait=60)
        # README: live frames are coalesced into at most 10 redraws a second.
        busiest = max(sum(1 for t in redraws if start <= t < start + 1) for start in redraws)
        assert busiest <= 10, [round(t - redraws[0], 3) for t in redraws]
    owner.close()


async def test_projects_screen_follows_my_world_live(tui_server: Server, tmp_path: Path) -> None:
    """No poll and no key: a project shared with bob appears, a rename and his new role show,
    and it goes when he is removed (each a `me` frame on his socket)."""
    alice, bob = register(tui_server.url), register(tui_server.url)
    pid = new_project(alice, "Mine first", [])
    app = make_app(tui_server.url, tmp_path, token=bob.token)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen)
        assert isinstance(screen, ProjectsScreen)
        await until(pilot, lambda: app.connection[0] == "live")

        def shown() -> list[tuple[str, str | None]]:
            return [(p.name, p.role) for p in screen.projects]

        members = f"/api/projects/{pid}/members"
        await asyncio.to_thread(
            alice.client.post, members, json={"username": bob.username, "role": "editor"}
        )
        await until(pilot, lambda: shown() == [("Mine first", "editor")], wait=5)
        assert "New in your projects: Mine first" in " | ".join(app.notices)
        await asyncio.to_thread(alice.client.patch, f"/api/projects/{pid}", json={"name": "Ours"})
        await until(pilot, lambda: shown() == [("Ours", "editor")], wait=5)
        await asyncio.to_thread(alice.client.patch, f"{members}/{bob.id}", json={"role": "viewer"})
        await until(pilot, lambda: shown() == [("Ours", "viewer")], wait=5)
        await asyncio.to_thread(alice.client.delete, f"{members}/{bob.id}")
        await until(pilot, lambda: shown() == [], wait=5)
        assert "No longer in your projects: Ours" in " | ".join(app.notices)
    alice.close()
    bob.close()
