"""The label picker: the project's labels as colour chips with a check for those on the
task(s) (the marked ones on the board, the form's task in the editor); space toggles one,
enter applies the changes, escape leaves everything as it was."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from api import wire
from tui.widgets.task_card import LABEL_CHIPS

CHECKS = {True: "[x]", False: "[ ]", None: "[-]"}  # on all, on none, on some of the tasks


def label_states(
    labels: Sequence[wire.Label], on: Sequence[Collection[uuid.UUID]]
) -> dict[uuid.UUID, bool | None]:
    """Per label: on every task (True), on none (False) or on some (None); `on` holds each
    task's label ids."""
    states: dict[uuid.UUID, bool | None] = {}
    for label in labels:
        having = sum(label.id in ids for ids in on)
        states[label.id] = True if having == len(on) else False if not having else None
    return states


def applied(ids: Sequence[uuid.UUID], changes: dict[uuid.UUID, bool]) -> list[uuid.UUID]:
    """A task's label ids after the picker's changes: those kept, in order, then the new."""
    kept = [i for i in ids if changes.get(i, True)]
    return kept + [i for i, on in changes.items() if on and i not in kept]


class LabelOptions(OptionList):
    """The chips take their label's colour from the stylesheet, as on the cards."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(LABEL_CHIPS)


class LabelPicker(ModalScreen[dict[uuid.UUID, bool] | None]):
    """Returns the labels to add (True) and to remove (False); only those toggled to a new
    state, so a label on some of the marked tasks stays as it is unless it is toggled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_label", "Toggle", id="labels.toggle"),
        Binding("escape", "cancel", "Cancel", id="labels.cancel"),
    ]

    def __init__(
        self, title: str, labels: Sequence[wire.Label], on: Sequence[Collection[uuid.UUID]]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.labels = sorted(labels, key=lambda label: label.name.lower())
        self.initial = label_states(self.labels, on)
        self.states = dict(self.initial)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="label-picker"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.labels:
                yield LabelOptions(*[Option(self._prompt(label)) for label in self.labels])
            else:
                yield Static("This project has no labels yet.", classes="dialog-hint")
            yield Static("space toggle · enter apply · escape cancel", classes="dialog-hint")
        yield Footer(compact=True, show_command_palette=False)

    def _prompt(self, label: wire.Label) -> Text:
        chip = f"task-card--label-{label.color}"
        text = Text(f"{CHECKS[self.states.get(label.id, False)]} ")
        if options := self.query(LabelOptions):
            text.append(f"#{label.name}", options.first().get_component_rich_style(chip))
        else:  # composing: styled once mounted
            text.append(f"#{label.name}")
        return text

    def on_mount(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        options = self.query(LabelOptions)
        if options:
            for index, label in enumerate(self.labels):
                options.first().replace_option_prompt_at_index(index, self._prompt(label))

    def action_toggle_label(self) -> None:
        options = self.query(LabelOptions)
        index = options.first().highlighted if options else None
        if index is None:
            return
        label_id = self.labels[index].id
        self.states[label_id] = not self.states[label_id]  # some (None) becomes all
        self._redraw()

    @on(OptionList.OptionSelected)
    def _apply(self) -> None:
        changes = {i: bool(s) for i, s in self.states.items() if s != self.initial[i]}
        self.dismiss(changes)

    def action_cancel(self) -> None:
        self.dismiss(None)
