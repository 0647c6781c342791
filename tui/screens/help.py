"""`?`: every key of the screen below, with the id to remap it in keys.toml."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from tui.config import config_dir
from tui.keys import active_keys
from tui.widgets.tables import Table, cell, fit_columns

COLUMNS = (("key", "Key", 10), ("does", "Does", None), ("id", "Remap id", 18))
DIALOG_WIDTH = 80  # as in app.tcss


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")
    ]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static("Keys", classes="dialog-title")
            yield Table[Text](cursor_type="row", id="help-keys")
            yield Static(
                f'Remap in {config_dir() / "keys.toml"}:  [keys] "board.new" = "N"',
                classes="dialog-hint",
                markup=False,
            )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.fill()

    def on_resize(self) -> None:
        self.fill()

    def fill(self) -> None:
        """One row per binding id, fitted to the dialog (j/k and the arrows scroll it)."""
        table = self.query_one(Table)
        row = table.cursor_row
        fit_columns(table, COLUMNS, min(DIALOG_WIDTH, self.size.width or self.app.size.width) - 4)
        for binding_id, actives in active_keys(self.below).items():
            keys = " ".join(dict.fromkeys(self.app.get_key_display(a.binding) for a in actives))
            binding = actives[0].binding
            texts = (keys, binding.tooltip or binding.description, binding_id)
            table.add_row(*map(cell, texts), key=binding_id)
        table.move_cursor(row=row)
