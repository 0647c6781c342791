"""The inbox against a real server: the header count follows notifications live, `i` lists
them newest first, Enter lands on the task (switching project), r/A mark read, pages load;
`@` completes member names where mentions are written."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support import ApiUser, Server, register
from tests.tui_support import (
    board,
    eventually,
    make_app,
    new_project,
    open_board,
    selected,
    store_of,
    until,
)
from tui.screens import inbox
from tui.screens.board import BoardScreen
from tui.screens.comment import CommentScreen
from tui.screens.inbox import InboxScreen
from tui.screens.task_editor import TaskEditor
from tui.widgets.mention_area import MentionArea
from tui.widgets.status import UnreadBadge
from tui.widgets.task_detail import TaskDetail

SIZE = (100, 30)


def share(owner: ApiUser, pid: str, user: ApiUser) -> None:
    r = owner.client.post(
        f"/api/projects/{pid}/members", json={"username": user.username, "role": "editor"}
    )
    assert r.status_code == 201, r.text


def task_id(user: ApiUser, pid: str, title: str) -> str:
    detail = user.client.get(f"/api/projects/{pid}").json()
    return str(next(t["id"] for t in detail["tasks"] if t["title"] == title))


def badge(pilot: Pilot[Any]) -> str:
    widget = pilot.app.screen.query_one(UnreadBadge)
    return str(widget.content) if widget.display else ""


async def open_inbox(pilot: Pilot[Any]) -> InboxScreen:
    await pilot.press("i")
    screen = await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, InboxScreen)
            and pilot.app.screen.loaded
            and pilot.app.screen
        ),
    )
    assert isinstance(screen, InboxScreen)
    await pilot.pause()
    return screen


async def test_mention_counts_live_and_opens_the_task(tui_server: Server, tmp_path: Path) -> None:
    alice, bob = register(tui_server.url), register(tui_server.url)
    here = new_project(alice, "Here", [{"title": "Alpha"}, {"title": "Beta"}])
    there = new_project(alice, "There", [{"title": "Elsewhere"}])
    share(alice, here, bob)
    share(alice, there, bob)
    r = alice.client.patch(
        f"/api/tasks/{task_id(alice, there, 'Elsewhere')}", json={"assignee_id": bob.id}
    )
    assert r.status_code == 200, r.text

    app = make_app(tui_server.url, tmp_path, token=bob.token)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection[0] == "live")
        await until(pilot, lambda: badge(pilot) == "✉ 1")
        screen = await open_board(pilot, "Here")
        assert badge(pilot) == "✉ 1"

        alpha = task_id(alice, here, "Alpha")
        body = {"body": f"@{bob.username} can you look?"}
        posted = await asyncio.to_thread(
            alice.client.post, f"/api/tasks/{alpha}/comments", json=body
        )
        assert posted.status_code == 201, posted.text
        await until(pilot, lambda: badge(pilot) == "✉ 2")  # live, no key pressed

        listed = await open_inbox(pilot)
        assert [(n.kind, n.task.title if n.task else None) for n in listed.items] == [
            ("mentioned", "Alpha"),
            ("assigned", "Elsewhere"),
        ]
        await pilot.press("enter")  # the mention: the open board, the task selected
        await until(pilot, lambda: app.screen is screen and selected(app).title == "Alpha")
        assert screen.query_one(TaskDetail).display
        await until(pilot, lambda: app.unread == 1)

        await open_inbox(pilot)
        await pilot.press("j", "enter")  # the assignment: the board of the other project
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, BoardScreen)
                and app.screen.project_id != screen.project_id
                and selected(app).title == "Elsewhere"
            ),
        )
        assert store_of(board(app)).project.name == "There"
        assert len(app.screen_stack) == 3  # the old board was replaced, not stacked
        await until(pilot, lambda: app.unread == 0)
        assert badge(pilot) == ""
    alice.close()
    bob.close()


async def test_mark_read_all_read_and_pages(
    tui_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "PAGE", 2)
    alice, bob = register(tui_server.url), register(tui_server.url)
    pid = new_project(alice, "Paged", [])
    share(alice, pid, bob)
    for n in range(3):
        r = alice.client.post(
            f"/api/projects/{pid}/tasks", json={"title": f"Job {n}", "assignee_id": bob.id}
        )
        assert r.status_code == 201, r.text

    app = make_app(tui_server.url, tmp_path, token=bob.token)
    async with app.run_test(size=(60, 15)) as pilot:
        await until(pilot, lambda: app.unread == 3)
        screen = await open_inbox(pilot)
        assert [n.task.title for n in screen.items if n.task] == ["Job 2", "Job 1"]
        assert screen.next is not None

        await pilot.press("r")  # the first read; the cursor moves on to the last row …
        await until(pilot, lambda: app.unread == 2)
        # … where the next page loads
        await until(pilot, lambda: len(screen.items) == 3 and screen.next is None)
        assert [n.task.title for n in screen.items if n.task] == ["Job 2", "Job 1", "Job 0"]
        assert [n.read for n in screen.items] == [True, False, False]

        await pilot.press("u")  # unread only
        await until(pilot, lambda: [n.task.title for n in screen.items if n.task][:1] == ["Job 1"])

        await pilot.press("A")
        await until(pilot, lambda: app.unread == 0)
        server_side = bob.client.get("/api/me/notifications").json()
        assert server_side["unread"] == 0
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, InboxScreen))
    alice.close()
    bob.close()


async def test_at_completes_member_names(tui_server: Server, tmp_path: Path) -> None:
    """`@` in the comment dialog and the description offers the other members; the chosen
    name is sent, and the member it names is notified."""
    alice, bob = register(tui_server.url), register(tui_server.url)
    pid = new_project(alice, "Names", [{"title": "Talk"}])
    share(alice, pid, bob)

    app = make_app(tui_server.url, tmp_path, token=bob.token)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(pilot, "Names")
        await pilot.press("c")
        area = await until(pilot, lambda: app.screen.query_one(MentionArea))
        await pilot.press(*"thanks @")
        await until(pilot, lambda: area.picking)
        assert [str(o.prompt) for o in area.picker.options] == [alice.username]  # not bob
        await pilot.press(*alice.username[:3], "tab")
        assert area.text == f"thanks @{alice.username} " and not area.picking
        await pilot.press(*"x@")  # no mention after a word character
        assert not area.picking
        await pilot.press("space", "@")
        await until(pilot, lambda: area.picking)
        await pilot.press("escape")  # closes the list, not the dialog
        assert not area.picking and isinstance(app.screen, CommentScreen)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, BoardScreen))

        def mentioned() -> bool:
            items = alice.client.get("/api/me/notifications").json()["items"]
            return any(n["kind"] == "mentioned" for n in items)

        await eventually(mentioned)

        await pilot.press("e")  # the task editor's description completes the same way
        editor = await until(pilot, lambda: isinstance(app.screen, TaskEditor) and app.screen)
        description = editor.query_one("#description", MentionArea)
        description.focus()
        await pilot.press(*"ask @", "enter")
        assert description.text == f"ask @{alice.username} "
        await pilot.press("escape")
    alice.close()
    bob.close()
