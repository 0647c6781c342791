"""A board column: a Line API list of task cards that keeps its cursor on a task, not an index."""

from __future__ import annotations

import uuid
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from api import wire
from tui.client.filters import utc_today
from tui.client.marks import Marks
from tui.client.store import ProjectStore
from tui.widgets.task_card import CARD_HEIGHT, LABEL_CHIPS, card_lines

# id, version, typing, label chips (name, colour), marked, cursor, focus, width
CardKey = tuple[uuid.UUID, int, str, tuple[tuple[str, str], ...], bool, bool, bool, int]


class TaskColumn(ScrollView, can_focus=True, inherit_bindings=False):
    """Renders only the visible cards and caches each by its version, so a live update
    redraws a column without re-mounting widgets or re-rendering unchanged cards."""

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
        "task-card--due-today",
        "task-card--checklist",
        *LABEL_CHIPS,
        "task-card--typing",
        "task-card--cursor",
        "task-card--marked",
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
        self.marks = Marks()  # the board's, shared by its columns
        self.today = utc_today()
        self._cards: dict[CardKey, tuple[Strip, Strip]] = {}
        self._styles: dict[str, Style] = {}

    @property
    def current(self) -> wire.Task | None:
        return self.tasks[self.cursor] if 0 <= self.cursor < len(self.tasks) else None

    def set_tasks(self, tasks: list[wire.Task], store: ProjectStore) -> None:
        """Replace the cards, keeping the cursor on the same task (or the same place)."""
        current = self.current
        self.tasks = tasks
        self.store = store
        if len(self._cards) > 4 * len(tasks) + 256:
            self._cards.clear()
        self._set_height(self._lines())
        index = next((i for i, t in enumerate(tasks) if current and t.id == current.id), None)
        self.cursor = index if index is not None else min(self.cursor, max(len(tasks) - 1, 0))
        self.refresh()

    def _lines(self) -> int:
        """Every card's lines, plus the blank ones that make the last scroll stop a card's top."""
        lines, view = len(self.tasks) * CARD_HEIGHT, self.size.height
        return lines + (view - lines) % CARD_HEIGHT if lines > view else lines

    def _set_height(self, height: int) -> None:
        """A new virtual height; a full layout only when the scrollbar appears or goes."""
        size = Size(self.size.width, height)
        if size == self.virtual_size:
            return
        viewport = self.size.height
        if (height > viewport) != (self.virtual_size.height > viewport) or not viewport:
            self.virtual_size = size
        else:
            # The one private Textual API left (textual is pinned to 8.x for it): setting
            # `virtual_size` asks for a layout of the whole screen on every live event; this
            # refits only this column's scrollbar, as ScrollView's own `_size_updated` does.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)

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
        self._scroll_to_card(new)
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def _scroll_to_card(self, index: int) -> None:
        """Bring the card wholly into view, scrolling by whole cards so none is cut in half."""
        top, view = round(self.scroll_y), self.size.height
        card_top, card_bottom = index * CARD_HEIGHT, index * CARD_HEIGHT + CARD_HEIGHT - 1
        if card_top < top or view < CARD_HEIGHT:
            y = card_top
        elif card_bottom > top + view:
            y = -(-(card_bottom - view) // CARD_HEIGHT) * CARD_HEIGHT
        elif top % CARD_HEIGHT:
            y = top + CARD_HEIGHT - top % CARD_HEIGHT
        else:
            return
        self.scroll_to(y=y, animate=False, immediate=True)

    def on_focus(self) -> None:
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def on_blur(self) -> None:
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cards.clear()

    def on_resize(self) -> None:
        self._cards.clear()
        self.virtual_size = Size(self.size.width, self._lines())
        self._scroll_to_card(self.cursor)

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.cursor = (event.y + int(self.scroll_y)) // CARD_HEIGHT

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            if name == "":
                style = self.rich_style
            else:
                style = self.get_component_rich_style(name, partial=True)
            self._styles[name] = style
        return style

    def _card(self, index: int, width: int) -> tuple[Strip, Strip]:
        task, store = self.tasks[index], self.store
        assert store is not None
        typing = store.typing_label(task.id)
        labels = store.task_labels(task.labels)
        chips = tuple((label.name, label.color) for label in labels)  # a rename redraws
        cursor, marked = index == self.cursor, task.id in self.marks
        focus = cursor and self.has_focus
        key = (task.id, task.version, typing, chips, marked, cursor, focus, width)
        cached = self._cards.get(key)
        if cached is not None:
            return cached
        title, meta = card_lines(
            task,
            store.username(task.assignee_id),
            typing,
            self._style,
            self.today,
            width,
            labels,
            marked,
        )
        base = self._style("")
        if cursor:
            base = base + self._style("task-card--cursor")
            if not self.has_focus:
                base = base + Style(dim=True)
        console = self.app.console
        first, second = (
            Strip(list(line.render(console))).apply_style(base).crop_extend(0, width, base)
            for line in (title, meta)
        )
        self._cards[key] = (first, second)
        return first, second

    def render_line(self, y: int) -> Strip:
        line = y + int(self.scroll_y)
        width = self.scrollable_content_region.width
        if not self.tasks:
            if y == 0:
                style = self._style("task-card--empty")
                blank = self._style("")  # never None: NO_COLOR's filter reads every style
                return Strip([Segment("  (no tasks)", style)]).crop_extend(0, width, blank)
            return Strip.blank(width, self._style(""))
        index, row = divmod(line, CARD_HEIGHT)
        if index >= len(self.tasks) or row == CARD_HEIGHT - 1:
            return Strip.blank(width, self._style(""))
        return self._card(index, width)[row]
