"""A modal dialog around one table that is re-fitted to the dialog whenever its size changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, TypeVar

from textual.screen import ModalScreen
from textual.widgets import DataTable

from tui.widgets.tables import cell, fit_columns

Result = TypeVar("Result")


class TableDialog(ModalScreen[Result]):
    """Subclasses give `COLUMNS`, `DIALOG_WIDTH` (as in app.tcss) and `rows()`; long values
    end in "…" and the cursor stays on its row across a refill."""

    COLUMNS: ClassVar[Sequence[tuple[str, str, int | None]]]
    DIALOG_WIDTH: ClassVar[int]

    def rows(self) -> Iterable[tuple[str, Sequence[str]]]:
        """(row key, cell texts) for every row, in order."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.fill()

    def on_resize(self) -> None:
        self.fill()

    def fill(self) -> None:
        table: DataTable[Any] = self.query_one(DataTable)
        row = table.cursor_row
        width = min(self.DIALOG_WIDTH, self.size.width or self.app.size.width) - 4
        fit_columns(table, self.COLUMNS, width)
        for key, texts in self.rows():
            table.add_row(*map(cell, texts), key=key)
        table.move_cursor(row=row)
