"""`?`: every key of the screen below, with the id to remap it in keys.toml."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from tui.config import config_dir


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")
    ]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static("Keys", classes="dialog-title")
            table: DataTable[str] = DataTable(cursor_type="row", id="help-keys")
            table.add_column("Key", key="key", width=10)
            table.add_column("Does", key="does", width=38)
            table.add_column("Remap id", key="id", width=22)
            keys: dict[str, list[str]] = {}
            described: dict[str, str] = {}
            for binding in self._bindings_below():
                assert binding.id is not None
                keys.setdefault(binding.id, []).append(self.app.get_key_display(binding))
                described[binding.id] = binding.tooltip or binding.description
            for binding_id, shown in keys.items():
                table.add_row(" ".join(dict.fromkeys(shown)), described[binding_id], binding_id)
            yield table
            yield Static(
                f'Remap in {config_dir() / "keys.toml"}:  [keys] "board.new" = "N"',
                classes="dialog-hint",
                markup=False,
            )

    def _bindings_below(self) -> list[Binding]:
        """Taskroom's own bindings (those with an id) of the screen, its widgets and the app."""
        nodes = [self.below, *(w for w in self.below.query("*") if w.BINDINGS), self.app]
        return [
            binding
            for node in nodes
            for bindings in node._bindings.key_to_bindings.values()
            for binding in bindings
            if binding.id
        ]
