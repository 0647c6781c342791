"""DataTable helpers shared by the list screens (projects, members, exports, list view)."""

from __future__ import annotations

import uuid

from textual.widgets import DataTable


def cursor_id(table: DataTable[str]) -> uuid.UUID | None:
    """The id (row key) of the row under the cursor; rows are keyed by the thing's UUID."""
    if table.row_count == 0 or table.cursor_row < 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return uuid.UUID(key) if key else None
