"""`?`: every key of the screen below, with the id to remap it in keys.toml."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.config import config_dir
from tui.keys import active_keys
from tui.screens.table_dialog import TableDialog
from tui.widgets.tables import Table


class HelpScreen(TableDialog[None]):
    COLUMNS = (("key", "Key", 10), ("does", "Does", None), ("id", "Remap id", 18))
    DIALOG_WIDTH = 80
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

    def rows(self) -> Iterable[tuple[str, Sequence[str]]]:
        """One row per binding id (j/k and the arrows scroll them)."""
        for binding_id, actives in active_keys(self.below).items():
            keys = " ".join(dict.fromkeys(self.app.get_key_display(a.binding) for a in actives))
            binding = actives[0].binding
            yield binding_id, (keys, binding.tooltip or binding.description, binding_id)
