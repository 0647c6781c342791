"""A save met a newer version (409): theirs beside mine, keep either or merge field by field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from api import wire
from tui.client.store import ProjectStore
from tui.screens.table_dialog import TableDialog
from tui.widgets.tables import Table, cell

FIELDS = ("title", "description", "status", "priority", "assignee_id", "due_date", "labels")


def shown(store: ProjectStore, field: str, value: Any) -> str:
    if field == "assignee_id":
        return f"@{store.username(value)}" if value else "nobody"
    if field == "labels":
        return " ".join(f"#{label.name}" for label in store.task_labels(value)) or "none"
    if value is None or value == "":
        return "—"
    return str(value)


class ConflictScreen(TableDialog[dict[str, Any] | None]):
    """Dismisses with the fields to re-save on top of theirs, or None to keep theirs as is."""

    # The two values share what Field and Use leave.
    COLUMNS = (
        ("field", "Field", 11),
        ("theirs", "Theirs", None),
        ("mine", "Mine", None),
        ("use", "Use", 6),
    )
    DIALOG_WIDTH = 90

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "theirs", "Keep theirs", id="conflict.theirs"),
        Binding("m", "mine", "Keep mine", id="conflict.mine"),
        Binding("space", "flip", "Toggle field", id="conflict.toggle"),
        Binding("s", "merge", "Save merge", id="conflict.merge"),
        Binding("escape", "theirs", "Cancel", show=False, id="conflict.cancel"),
    ]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]

    def __init__(
        self, store: ProjectStore, theirs: wire.Task, mine: dict[str, Any], actor: str = ""
    ) -> None:
        super().__init__()
        self.store = store
        self.theirs = theirs
        self.mine = mine
        self.actor = actor
        self.fields = [f for f in FIELDS if f in mine and mine[f] != getattr(theirs, f)]
        self.use_mine = dict.fromkeys(self.fields, True)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="conflict"):
            name = self.store.username(self.theirs.updated_by)
            who = f"@{name}" if name else "Someone"
            yield Static(
                f"{who} saved this task while you were editing it.",
                classes="dialog-title",
                markup=False,
            )
            yield Table[Text](cursor_type="row", id="conflict-table")
            yield Static(id="conflict-theirs", classes="conflict-value", markup=False)
            yield Static(id="conflict-mine", classes="conflict-value", markup=False)
            yield Static(
                "t keep theirs · m keep mine · space/enter pick per field · s save the merge",
                classes="dialog-hint",
            )
        yield Footer(compact=True, show_command_palette=False)

    def rows(self) -> Iterable[tuple[str, Sequence[str]]]:
        """One row per field that differs; long values are shown whole below the table."""
        for f in self.fields:
            theirs = " ".join(shown(self.store, f, getattr(self.theirs, f)).split())
            mine = " ".join(shown(self.store, f, self.mine[f]).split())
            yield f, (f.removesuffix("_id"), theirs, mine, "mine" if self.use_mine[f] else "theirs")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        field = event.row_key.value
        if field in self.use_mine:
            theirs = shown(self.store, field, getattr(self.theirs, field))
            mine = shown(self.store, field, self.mine[field])
            self.query_one("#conflict-theirs", Static).update(f"theirs: {theirs}")
            self.query_one("#conflict-mine", Static).update(f"mine:   {mine}")

    def action_flip(self) -> None:
        table = self.query_one(DataTable)
        if not self.fields:
            return
        field = self.fields[table.cursor_row]
        self.use_mine[field] = not self.use_mine[field]
        table.update_cell(field, "use", cell("mine" if self.use_mine[field] else "theirs"))

    def on_data_table_row_selected(self) -> None:
        self.action_flip()

    def action_theirs(self) -> None:
        self.dismiss(None)

    def action_mine(self) -> None:
        self.dismiss({f: self.mine[f] for f in self.fields})

    def action_merge(self) -> None:
        merged = {f: self.mine[f] for f in self.fields if self.use_mine[f]}
        self.dismiss(merged or None)
