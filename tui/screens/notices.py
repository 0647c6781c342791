"""`ctrl+n` (or "Notices" in the palette): the last notices, newest first.

Toasts go in a few seconds; what one said ("Could not save: …") stays readable here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static

from tui.screens.table_dialog import TableDialog
from tui.widgets.tables import Table

if TYPE_CHECKING:
    from tui.app import TaskroomApp


class NoticesScreen(TableDialog[None]):
    COLUMNS = (("notice", "Notice", None),)
    DIALOG_WIDTH = 80
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="notices.close")
    ]

    app: TaskroomApp

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="notices"):
            yield Static("Recent notices", classes="dialog-title")
            yield Table[Text](cursor_type="row", id="notices-list")
            if not self.app.notices:
                yield Static("Nothing has been said yet.", classes="dialog-hint")
        yield Footer(compact=True, show_command_palette=False)

    def rows(self) -> Iterable[tuple[str, Sequence[str]]]:
        for index, notice in enumerate(reversed(self.app.notices)):
            yield str(index), (notice,)
