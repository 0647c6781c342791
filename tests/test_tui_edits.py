"""The board's edits against a real server: shown at once, sent, rolled back with the server's
reason when refused, reloaded on a conflict, and undone one change at a time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from tests.support import ApiUser, MakeUser, Server
from tui.client.edits import Edits, Severity
from tui.client.http import ApiClient
from tui.client.store import ProjectStore


@dataclass
class Recorder:
    """A view that keeps what the edits asked of it."""

    touched: list[set[str]] = field(default_factory=list)
    told: list[tuple[str, Severity]] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)

    def redraw(self, touched: set[str]) -> None:
        self.touched.append(touched)

    def tell(self, message: str, severity: Severity = "information") -> None:
        self.told.append((message, severity))

    def report(self, exc: Exception, doing: str) -> None:
        self.reported.append(doing)


@dataclass
class Board:
    owner: ApiUser
    project_id: str
    api: ApiClient
    view: Recorder
    edits: Edits

    @property
    def store(self) -> ProjectStore:
        return self.edits.store

    def server_task(self, task_id: uuid.UUID) -> dict[str, object]:
        response = self.owner.client.get(f"/api/tasks/{task_id}")
        return dict(response.json()) if response.status_code == 200 else {}


@pytest.fixture
async def board(server: Server, make_user: MakeUser) -> AsyncIterator[Board]:
    owner = make_user()
    pid = owner.client.post("/api/projects", json={"name": "Edits"}).json()["id"]
    owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "Alpha"})
    api = ApiClient(server.url, owner.token)
    detail = await api.project(uuid.UUID(pid))
    view = Recorder()
    yield Board(owner, pid, api, view, Edits(ProjectStore.from_detail(detail), api, view))
    await api.aclose()


def only_task(board: Board) -> uuid.UUID:
    (task_id,) = board.store.tasks
    return task_id


async def test_a_change_is_shown_before_it_is_sent_then_saved(board: Board) -> None:
    task = board.store.tasks[only_task(board)]
    before = board.edits.show(task, {"status": "done"}, "Move")
    assert board.store.tasks[task.id].status == "done"  # on screen before any request
    assert board.view.touched == [{"todo", "done"}]
    assert board.server_task(task.id)["status"] == "todo"
    await board.edits.send(before, {"status": "done"}, "Move")
    assert board.server_task(task.id)["status"] == "done"
    assert board.store.tasks[task.id].version == board.server_task(task.id)["version"]


async def test_a_refused_change_is_rolled_back_with_the_servers_reason(board: Board) -> None:
    task = board.store.tasks[only_task(board)]
    fields = {"title": "x" * 501}
    await board.edits.send(board.edits.show(task, fields, "Rename"), fields, "Rename")
    assert board.store.tasks[task.id].title == "Alpha"
    ((message, severity),) = board.view.told
    assert message.startswith("Rename undone: ") and severity == "error"
    assert board.server_task(task.id)["title"] == "Alpha"


async def test_a_conflict_reloads_the_task_someone_else_changed(board: Board) -> None:
    task = board.store.tasks[only_task(board)]
    board.owner.client.patch(f"/api/tasks/{task.id}", json={"title": "Theirs", "version": 1})
    fields = {"priority": "urgent"}
    await board.edits.send(board.edits.show(task, fields, "Priority"), fields, "Priority")
    assert board.store.tasks[task.id].title == "Theirs"
    assert board.store.tasks[task.id].priority == task.priority  # theirs stands
    assert "someone else changed this task first" in board.view.told[0][0]


async def test_undo_takes_back_changes_last_first(board: Board) -> None:
    task = board.store.tasks[only_task(board)]
    for fields, label in (({"status": "in_progress"}, "Move"), ({"priority": "low"}, "Prio")):
        current = board.store.tasks[task.id]
        await board.edits.send(board.edits.show(current, fields, label), fields, label)
    await board.edits.undo()
    assert board.server_task(task.id)["priority"] == task.priority
    assert board.server_task(task.id)["status"] == "in_progress"
    await board.edits.undo()
    assert board.server_task(task.id)["status"] == "todo"
    await board.edits.undo()
    assert board.view.told[-1] == ("Nothing of yours to undo.", "information")


async def test_undo_of_a_delete_recreates_the_task_and_of_a_create_deletes_it(
    board: Board,
) -> None:
    task = board.store.tasks[only_task(board)]
    await board.edits.delete(task)
    assert board.server_task(task.id) == {} and not board.store.tasks
    await board.edits.undo()
    (again,) = board.store.tasks.values()
    assert again.title == "Alpha" and board.server_task(again.id)["title"] == "Alpha"
    board.edits.created(again)
    await board.edits.undo()
    assert board.server_task(again.id) == {} and not board.store.tasks
