"""A board column: a Line API list of task cards that keeps its cursor on a task, not an index."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from api import wire
from tui.client.store import ProjectStore
from tui.widgets.task_card import CARD_HEIGHT, card_lines


class TaskColumn(ScrollView, can_focus=True, inherit_bindings=False):
    """Renders only the visible cards; a live update redraws, it never re-mounts widgets."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move_cursor(-1)", "Up", show=False, id="column.up"),
        Binding("down,j", "move_cursor(1)", "Down", show=False, id="column.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="column.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="column.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="column.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="column.last"),
        Binding("enter", "screen.edit", "Edit", show=False, id="column.edit"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "task-card--title",
        "task-card--urgent",
        "task-card--high",
        "task-card--medium",
        "task-card--low",
        "task-card--assignee",
        "task-card--due",
        "task-card--overdue",
        "task-card--typing",
        "task-card--cursor",
        "task-card--empty",
    }

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, column: TaskColumn, task: wire.Task | None) -> None:
            super().__init__()
            self.column = column
            self.task = task

    def __init__(self, status: wire.TaskStatus, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status = status
        self.tasks: list[wire.Task] = []
        self.store: ProjectStore | None = None
        self._lines: dict[tuple[int, bool], tuple[Strip, Strip]] = {}
        self.today = dt.date.today()

    @property
    def current(self) -> wire.Task | None:
        return self.tasks[self.cursor] if 0 <= self.cursor < len(self.tasks) else None

    def set_tasks(self, tasks: list[wire.Task], store: ProjectStore) -> None:
        """Replace the cards, keeping the cursor on the same task (or the same place)."""
        current = self.current
        self.tasks = tasks
        self.store = store
        self._lines.clear()
        self.virtual_size = Size(self.size.width, len(tasks) * CARD_HEIGHT)
        index = next((i for i, t in enumerate(tasks) if current and t.id == current.id), None)
        self.cursor = index if index is not None else min(self.cursor, max(len(tasks) - 1, 0))
        self.refresh()

    def select_task(self, task_id: uuid.UUID) -> bool:
        for index, task in enumerate(self.tasks):
            if task.id == task_id:
                self.cursor = index
                return True
        return False

    def action_move_cursor(self, step: int) -> None:
        self.cursor += step

    def action_page(self, step: int) -> None:
        self.cursor += step * max(1, self.scrollable_content_region.height // CARD_HEIGHT)

    def action_jump(self, index: int) -> None:
        self.cursor = index if index >= 0 else len(self.tasks) - 1

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.tasks) - 1)) if self.tasks else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._lines.pop((old, True), None)
        self._lines.pop((new, False), None)
        self.scroll_to_region(
            Region(0, new * CARD_HEIGHT, 1, CARD_HEIGHT), animate=False, immediate=True
        )
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def on_focus(self) -> None:
        self._lines.clear()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def on_blur(self) -> None:
        self._lines.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._lines.clear()
        self.virtual_size = Size(self.size.width, len(self.tasks) * CARD_HEIGHT)

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.cursor = (event.y + int(self.scroll_y)) // CARD_HEIGHT

    def _card(self, index: int) -> tuple[Strip, Strip]:
        selected = index == self.cursor and self.has_focus
        cached = self._lines.get((index, selected))
        if cached is not None:
            return cached
        task, store = self.tasks[index], self.store
        assert store is not None
        typing = store.typing_label(task.id)
        title, meta = card_lines(
            task,
            store.username(task.assignee_id),
            typing,
            lambda name: self.get_component_rich_style(name, partial=True),
            self.today,
        )
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("task-card--cursor")
            if not self.has_focus:
                base = base + Style(dim=True)
        strips = tuple(
            Strip(list(line.render(self.app.console)))
            .apply_style(base)
            .crop_extend(0, width, base)
            .simplify()
            for line in (title, meta)
        )
        self._lines[(index, selected)] = (strips[0], strips[1])
        return self._lines[(index, selected)]

    def render_line(self, y: int) -> Strip:
        line = y + int(self.scroll_y)
        width = self.scrollable_content_region.width
        if not self.tasks:
            if y == 0:
                style = self.get_component_rich_style("task-card--empty")
                return Strip([Segment("  (no tasks)", style)]).crop_extend(0, width, None)
            return Strip.blank(width, self.rich_style)
        index, row = divmod(line, CARD_HEIGHT)
        if index >= len(self.tasks) or row == CARD_HEIGHT - 1:
            return Strip.blank(width, self.rich_style)
        return self._card(index)[row]
