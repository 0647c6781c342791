"""Saved views (contract §9): `S` names the board's filter, `w` lists the views that apply
to this board (its own and those for every project) to apply or delete one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, RadioButton, RadioSet, Static

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.screens.confirm import ConfirmScreen
from tui.screens.table_dialog import TableDialog
from tui.widgets.tables import Table, cursor_id

if TYPE_CHECKING:
    from tui.app import TaskroomApp

EVERY_PROJECT = "every project"


def applies_to(view: wire.SavedView, project_id: uuid.UUID) -> bool:
    return view.project_id in (None, project_id)


def where(view: wire.SavedView, project_name: str) -> str:
    return EVERY_PROJECT if view.project_id is None else project_name


class SaveViewScreen(ModalScreen[wire.SavedView | None]):
    """Name the filter, for this project or every one; the server's refusal is shown here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save_view.cancel")
    ]

    app: TaskroomApp

    def __init__(self, query: str, project_id: uuid.UUID, project_name: str) -> None:
        super().__init__()
        self.filter_query = query
        self.project_id = project_id
        self.project_name = project_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-view"):
            yield Static("Save this filter as a view", classes="dialog-title")
            yield Static(self.filter_query, id="save-view-query", markup=False)
            yield Input(placeholder="name, e.g. my overdue", max_length=64, id="save-view-name")
            with RadioSet(id="save-view-scope"):
                yield RadioButton(self._scope(True, False), value=True, id="scope-project")
                yield RadioButton(self._scope(False, True), id="scope-all")
            yield Static("", id="save-view-error", classes="field-error")
            yield Static("enter save · tab scope · escape cancel", classes="dialog-hint")
        yield Footer(compact=True, show_command_palette=False)

    def _scope(self, chosen: bool, every: bool) -> Content:
        """A choice's label, marked when chosen (the radio's dot differs only in colour),
        never read as markup (a project's name is users' text)."""
        where = EVERY_PROJECT if every else self.project_name
        return Content(f"{'✓' if chosen else ' '} for {where}")

    @on(RadioSet.Changed)
    def _scope_changed(self) -> None:
        for every, button_id in ((False, "#scope-project"), (True, "#scope-all")):
            button = self.query_one(button_id, RadioButton)
            button.label = self._scope(button.value, every)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save(event.value.strip())

    @work(exclusive=True, group="save-view", exit_on_error=False)
    async def save(self, name: str) -> None:
        every = self.query_one("#scope-all", RadioButton).value
        body = wire.SavedViewCreate(
            name=name, project_id=None if every else self.project_id, query=self.filter_query
        )
        try:
            view = await self.app.api.create_view(body)
        except ApiError as exc:
            if exc.status == 401:
                self.app.report(exc, "save the view")
                return
            message = exc.field_errors().get("name", exc.detail)
            error = self.query_one("#save-view-error", Static)
            error.update(Text(message))
            error.add_class("-shown")
            return
        except Unreachable as exc:
            self.app.report(exc, "save the view")
            return
        self.dismiss(view)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ViewsScreen(TableDialog[wire.SavedView | None]):
    """The views for this board, oldest first: enter applies one, d deletes it."""

    COLUMNS = (("name", "Name", 20), ("where", "For", 14), ("query", "Filter", None))
    DIALOG_WIDTH = 80
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Apply", id="views.apply", priority=True),
        Binding("d", "delete", "Delete", id="views.delete"),
        Binding("escape,q", "dismiss(None)", "Close", id="views.close"),
    ]

    app: TaskroomApp

    def __init__(self, project_id: uuid.UUID, project_name: str) -> None:
        super().__init__()
        self.project_id = project_id
        self.project_name = project_name
        self.views: list[wire.SavedView] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="views"):
            yield Static("Saved views", classes="dialog-title")
            yield Table[Text](cursor_type="row", id="views-list")
            yield Static("Loading…", id="views-hint", classes="dialog-hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.load()

    @work(exclusive=True, group="views-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            views = await self.app.api.views()
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load the saved views")
            return
        self.views = [v for v in views if applies_to(v, self.project_id)]
        hint = "" if self.views else "No saved views yet: filter with /, then S saves it."
        self.query_one("#views-hint", Static).update(hint)
        self.fill()

    def rows(self) -> Iterable[tuple[str, Sequence[str]]]:
        for view in self.views:
            yield str(view.id), (view.name, where(view, self.project_name), view.query)

    def selected(self) -> wire.SavedView | None:
        view_id = cursor_id(self.query_one(Table))
        return next((v for v in self.views if v.id == view_id), None)

    def action_apply(self) -> None:
        if (view := self.selected()) is not None:
            self.dismiss(view)

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        view = self.selected()
        if view is None:
            return
        if not await self.app.push_screen_wait(ConfirmScreen(f"Delete the view {view.name!r}?")):
            return
        try:
            await self.app.api.delete_view(view.id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "delete the view")
            return
        self.notify(f"Deleted the view {view.name}")
        self.load()
