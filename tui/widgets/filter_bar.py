"""The board's filter box: posts the parsed filter as the user types."""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.widgets import Input

from tui.client.filters import TaskFilter

PLACEHOLDER = "filter: text  status:todo  priority:high  @user  overdue  due:<2026-12-31"


class FilterBar(Input):
    """Shown by `/`, hidden again when left empty; the board reacts to its messages."""

    class Typed(Message):
        def __init__(self, task_filter: TaskFilter) -> None:
            super().__init__()
            self.filter = task_filter

    class Applied(Message):
        def __init__(self, task_filter: TaskFilter) -> None:
            super().__init__()
            self.filter = task_filter

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, id=id)

    def on_mount(self) -> None:
        self.display = False

    def open(self) -> None:
        self.display = True
        self.focus()

    def set_query(self, text: str) -> None:
        """Replace the query (shown only when there is one); the caller applies it at once."""
        with self.prevent(Input.Changed):
            self.value = text
        self.display = bool(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Typed(TaskFilter.parse(event.value)))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Applied(TaskFilter.parse(event.value)))

    def on_blur(self) -> None:
        if not self.value:
            self.display = False
