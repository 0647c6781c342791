"""DataTable helpers shared by the list screens (projects, members, exports, list view)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

MIN_FLEX = 8  # cells a flexible column keeps however narrow the terminal
Cell = TypeVar("Cell")


class Table(DataTable[Cell]):
    """Every table of the app: DataTable's keys plus j/k, as in the board's columns."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
    ]


def cursor_id(table: DataTable[Any]) -> uuid.UUID | None:
    """The id (row key) of the row under the cursor; rows are keyed by the thing's UUID."""
    if table.row_count == 0 or table.cursor_row < 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return uuid.UUID(key) if key else None


def cell(text: str) -> Text:
    """A cell that ends in "…" when its column is narrower, and is never read as markup."""
    return Text(text, no_wrap=True, overflow="ellipsis", end="")


def fit_columns(
    table: DataTable[Any], columns: Sequence[tuple[str, str, int | None]], width: int
) -> None:
    """(Re)create `(key, label, width)` columns to fit `width` cells, clearing the rows.

    Columns with a width keep it; those with None share what is left, so one long value
    cannot push the others off screen (call again when the width changes).
    """
    table.clear(columns=True)
    fixed = sum(w for _, _, w in columns if w is not None)
    flexible = sum(1 for _, _, w in columns if w is None) or 1
    chrome = 2 * table.cell_padding * len(columns) + table.styles.scrollbar_size_vertical
    share = max(MIN_FLEX, (width - fixed - chrome) // flexible)
    for key, label, w in columns:
        table.add_column(label, key=key, width=share if w is None else w)
