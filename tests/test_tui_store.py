"""The client's task store: server states never undo a change still on its way to the server."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from api import wire
from tui.client.store import ProjectStore

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def store_with_task() -> tuple[ProjectStore, wire.Task]:
    owner = uuid.uuid4()
    task = wire.Task(
        id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        title="Alpha",
        description="",
        status="todo",
        priority="high",
        assignee_id=None,
        due_date=None,
        position=1.0,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        created_by=owner,
        updated_by=owner,
    )
    detail = wire.ProjectDetail(
        id=task.project_id,
        name="P",
        description="",
        owner_id=owner,
        role="owner",
        task_counts=wire.TaskCounts(todo=1, in_progress=0, done=0),
        version=1,
        updated_at=NOW,
        members=[],
        tasks=[task],
    )
    return ProjectStore.from_detail(detail), task


def test_a_late_echo_does_not_undo_a_change_on_its_way() -> None:
    store, task = store_with_task()
    moved = msgspec.structs.replace(task, status="in_progress", version=2)
    store.put(moved)  # the server saved our first move (version 2)
    back = msgspec.structs.replace(moved, status="todo")
    assert store.show(back) == {"todo", "in_progress"}  # our second move, not yet saved
    assert store.put(moved) == set()  # the room's late echo of the first move
    assert store.tasks[task.id].status == "todo"
    saved = msgspec.structs.replace(back, version=3)
    assert store.put(saved) == {"todo"}
    assert store.tasks[task.id] is saved
    assert store.put(saved) == {"todo"}  # the state held: its column, for a late redraw


def test_an_older_state_is_ignored_and_a_newer_one_shown() -> None:
    store, task = store_with_task()
    newer = msgspec.structs.replace(task, title="Renamed", version=5)
    assert store.put(newer) == {"todo"}
    assert store.put(msgspec.structs.replace(task, version=4)) == set()
    assert store.tasks[task.id].title == "Renamed"
