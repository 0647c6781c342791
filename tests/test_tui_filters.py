"""The filter language on the client: the server's list-filter rules (contract §9), bad values
said and left out, and the overdue / due-today marks that survive NO_COLOR."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from api import wire
from tui.client.filters import TaskFilter
from tui.widgets.task_card import due_text

TODAY = dt.date(2026, 12, 3)
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def task(**fields: Any) -> wire.Task:
    base: dict[str, Any] = {
        "id": uuid.uuid4(),
        "project_id": uuid.uuid4(),
        "title": "Fix the gate",
        "description": "",
        "status": "todo",
        "priority": "medium",
        "assignee_id": None,
        "due_date": None,
        "position": 1.0,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
        "created_by": None,
        "updated_by": None,
    }
    return wire.Task(**(base | fields))


def shown(query: str, t: wire.Task, assignee: str = "") -> bool:
    return TaskFilter.parse(query).matches(t, assignee, TODAY)


def test_due_bounds_are_inclusive_and_skip_tasks_without_a_date() -> None:
    on_the_day = task(due_date=dt.date(2026, 12, 10))
    assert shown("due:<2026-12-10", on_the_day) and shown("due:>2026-12-10", on_the_day)
    assert not shown("due:<2026-12-09", on_the_day)
    assert not shown("due:>2026-12-11", on_the_day)
    assert shown("due:>2026-12-01 due:<2026-12-31", on_the_day)
    assert not shown("due:<2099-01-01", task())
    assert not shown("due:>2000-01-01", task())


def test_overdue_is_before_today_and_not_done() -> None:
    assert shown("overdue", task(due_date=TODAY - dt.timedelta(days=1)))
    assert not shown("overdue", task(due_date=TODAY))
    assert not shown("overdue", task(due_date=TODAY - dt.timedelta(days=9), status="done"))
    assert not shown("Overdue", task())
    assert shown("gate overdue", task(due_date=dt.date(2020, 1, 1)))
    assert not shown("fence overdue", task(due_date=dt.date(2020, 1, 1)))


def test_assignee_none_is_the_unassigned() -> None:
    someone = uuid.uuid4()
    assert shown("assignee:none", task())
    assert not shown("assignee:none", task(assignee_id=someone), "nora")
    assert shown("assignee:no", task(assignee_id=someone), "nora")  # a prefix of a name
    assert shown("@nora", task(assignee_id=someone), "nora")


def test_bad_dates_are_said_and_left_out() -> None:
    for value in ("due:<tomorrow", "due:>2026-13-01", "due:<2026-1-1", "due:<"):
        flt = TaskFilter.parse(value + " gate")
        assert len(flt.unknown) == 1 and "YYYY-MM-DD" in flt.unknown[0], value
        assert flt.due_before is None and flt.due_after is None
        assert flt.text == "gate"
    assert TaskFilter.parse("due:soon").text == "due:soon"  # no bound: a plain word
    assert not TaskFilter() and TaskFilter.parse("overdue")
    assert TaskFilter.parse("assignee:none") and TaskFilter.parse("due:>2026-01-01")


def test_overdue_and_due_today_are_marked_in_text() -> None:
    assert due_text(task(due_date=dt.date(2026, 11, 30)), TODAY) == "!due 11-30"
    assert due_text(task(due_date=TODAY), TODAY) == "due today!"
    assert due_text(task(due_date=dt.date(2026, 12, 4)), TODAY) == "due 12-04"
    assert due_text(task(due_date=dt.date(2020, 1, 1), status="done"), TODAY) == "due 2020-01-01"


def test_label_filter_needs_every_named_label() -> None:
    flt = TaskFilter.parse("label:Bug l:ui gate")
    assert flt.labels == ("bug", "ui") and flt.text == "gate" and flt
    t = task()
    assert flt.matches(t, "", TODAY, {"bug", "ui", "docs"})
    assert not flt.matches(t, "", TODAY, {"bug"})
    assert not TaskFilter.parse("label:bug").matches(t, "", TODAY)


def test_cards_show_label_chips_and_checklist_progress() -> None:
    from rich.style import Style

    from tui.widgets.task_card import card_lines

    items = [
        wire.ChecklistItem(id=uuid.uuid4(), text=f"step {n}", done=n < 3, position=float(n))
        for n in range(7)
    ]
    pid = uuid.uuid4()
    labels = [
        wire.Label(id=uuid.uuid4(), project_id=pid, name="bug", color="red"),
        wire.Label(id=uuid.uuid4(), project_id=pid, name="ui", color="teal"),
    ]
    t = task(checklist=items, labels=[label.id for label in labels])
    _title, meta = card_lines(t, "", "", lambda _name: Style(), TODAY, 40, labels)
    assert meta.plain == "  med ☑3/7 #bug #ui"
    _title, meta = card_lines(t, "", "", lambda _name: Style(), TODAY, 14, labels)
    assert meta.plain == "  med ☑3/7 #b…"
