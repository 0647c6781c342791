"""The board's list view: every task in one sortable table."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from typing import ClassVar

from rich.text import Text
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from api import wire
from tui.client.filters import TaskFilter, utc_today
from tui.client.marks import Marks
from tui.client.store import STATUS_TITLES, ProjectStore
from tui.widgets.tables import Table, cell, cursor_id, fit_columns
from tui.widgets.task_card import (
    DUE_STYLE,
    LABEL_CHIPS,
    MARK,
    PRIORITY_LABEL,
    due_state,
    label_chips,
)

# the title takes what the fixed columns leave (an "In progress", "urgent", a date;
# usernames and labels end in "…" past 12 cells)
LIST_COLUMNS = (
    ("title", "Title", None),
    ("labels", "Labels", 12),
    ("status", "Status", 11),
    ("priority", "Priority", 8),
    ("assignee", "Assignee", 12),
    ("due", "Due", 11),  # "!2026-12-01" when overdue
)


class TaskList(Table[Text]):
    """The list view's rows, keyed by task id; refilled whole, keeping the cursor's task."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "task-card--overdue",
        "task-card--due-today",
        *LABEL_CHIPS,
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self.marks = Marks()  # the board's

    @property
    def current_id(self) -> uuid.UUID | None:
        return cursor_id(self)

    def fill(self, store: ProjectStore, sort: str, flt: TaskFilter, width: int) -> None:
        keep = self.current_id
        fit_columns(self, LIST_COLUMNS, width)
        today = utc_today()
        for t in store.listing(sort, flt):
            self.add_row(
                self._title(t),
                self._labels(store, t),
                cell(STATUS_TITLES[t.status]),
                cell(PRIORITY_LABEL[t.priority]),
                cell(store.username(t.assignee_id)),
                self._due(t, today),
                key=str(t.id),
            )
        if keep is not None:
            self.show_task(keep)

    def _title(self, task: wire.Task) -> Text:
        return cell(f"{MARK}{task.title}" if task.id in self.marks else task.title)

    def _labels(self, store: ProjectStore, task: wire.Task) -> Text:
        return label_chips(
            store.task_labels(task.labels),
            lambda name: self.get_component_rich_style(name, partial=True),
        )

    def show_marks(self, tasks: list[wire.Task]) -> None:
        """Redraw the title cells of tasks whose mark changed, not the whole list."""
        for task in tasks:
            with contextlib.suppress(CellDoesNotExist):  # a row filtered out
                self.update_cell(str(task.id), "title", self._title(task))

    def show_task(self, task_id: uuid.UUID) -> None:
        with contextlib.suppress(RowDoesNotExist):  # filtered out, or gone
            self.move_cursor(row=self.get_row_index(str(task_id)))

    def _due(self, task: wire.Task, today: dt.date) -> Text:
        """The date, marked like the cards: `!` before an overdue one, `!` after today."""
        state = due_state(task, today)
        date = task.due_date.isoformat() if task.due_date else ""
        text = cell({"overdue": f"!{date}", "today": f"{date}!"}.get(state, date))
        if state:
            text.stylize(self.get_component_rich_style(DUE_STYLE[state], partial=True))
        return text
