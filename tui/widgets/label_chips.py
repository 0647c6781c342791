"""A task's labels as a line of colour chips, for places that show one task at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from api import wire
from tui.widgets.task_card import LABEL_CHIPS, label_chips


class LabelChips(Static):
    """`#bug #ui` in the labels' colours, or a muted "none"."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {*LABEL_CHIPS, "label-chips--none"}

    def show(self, labels: Sequence[wire.Label]) -> None:
        chips = label_chips(labels, self.get_component_rich_style)
        self.update(chips or Text("none", self.get_component_rich_style("label-chips--none")))
