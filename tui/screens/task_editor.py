"""The task form: every field, server validation shown inline, typing start/stop sent."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.client.store import STATUS_TITLES, ProjectStore, to_task
from tui.screens.confirm import ConfirmScreen
from tui.screens.conflict import ConflictScreen
from tui.screens.labels import LabelPicker, applied
from tui.widgets.label_chips import LabelChips
from tui.widgets.mention_area import MentionArea

if TYPE_CHECKING:
    from tui.app import TaskroomApp

NOBODY = "-"
TYPING_REFRESH = 3.0  # the server forgets a `start` after 5 s
INLINE_ERRORS = ("title", "description", "assignee_id", "due_date")
PLAIN_ERRORS = (  # the server's validation messages, said as a person would
    (re.compile(r"Expected `str` of length >= 1$"), "Required."),
    (re.compile(r"Expected `str` of length <= (\d+)$"), r"At most \1 characters."),
    (re.compile(r"Invalid RFC3339 encoded date$"), "Not a date: use YYYY-MM-DD."),
)


def plainly(message: str) -> str:
    for pattern, plain in PLAIN_ERRORS:
        if pattern.match(message):
            return pattern.sub(plain, message)
    return message


class FieldError(Static):
    """A message under a field, shown only while it says something.

    A class toggled here rather than CSS `:empty`: a Static has no children, so `:empty`
    always matches it and would hide every message.
    """

    DEFAULT_CLASSES = "field-error"

    def __init__(self, *, id: str) -> None:
        super().__init__("", id=id, markup=False)

    def say(self, text: str) -> None:
        self.update(text)
        self.set_class(bool(text), "-shown")


class TaskEditor(ModalScreen[wire.Task | None]):
    """Dismisses with the saved task, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="editor.save"),
        Binding("ctrl+l", "labels", "Labels", id="editor.labels"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
    ]
    AUTO_FOCUS = "#title"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]

    app: TaskroomApp

    def __init__(self, store: ProjectStore, task: wire.Task | None, status: str) -> None:
        super().__init__()
        self.store = store
        self.editing = task
        self.status = task.status if task else status
        self.opened: dict[str, Any] = {}
        self.label_ids = list(task.labels) if task else []

    def compose(self) -> ComposeResult:
        task = self.editing
        members = sorted(self.store.members.values(), key=lambda m: m.username)
        heading = "New task" if task is None else "Edit task"
        if not self.store.can_edit:
            heading += " (read-only: you are a viewer)"
        with Vertical(classes="dialog", id="editor"):
            yield Static(heading, classes="dialog-title")
            yield Label("Title")
            yield Input(task.title if task else "", id="title", compact=True)
            yield FieldError(id="error-title")
            yield Label("Description")
            yield MentionArea(
                task.description if task else "",
                usernames=self.store.others(),
                id="description",
                compact=True,
            )
            yield FieldError(id="error-description")
            with Grid(id="editor-grid"):
                yield Label("Status")
                yield Label("Priority")
                yield Select(
                    [(STATUS_TITLES[s], s) for s in wire.TASK_STATUSES],
                    value=self.status,
                    allow_blank=False,
                    id="status",
                    compact=True,
                )
                yield Select(
                    [(p, p) for p in wire.TASK_PRIORITIES],
                    value=task.priority if task else "medium",
                    allow_blank=False,
                    id="priority",
                    compact=True,
                )
                yield Label("Assignee")
                yield Label("Due (YYYY-MM-DD)")
                yield Select(
                    [("nobody", NOBODY)] + [(f"@{m.username}", str(m.user_id)) for m in members],
                    value=str(task.assignee_id) if task and task.assignee_id else NOBODY,
                    allow_blank=False,
                    id="assignee_id",
                    compact=True,
                )
                due = task.due_date.isoformat() if task and task.due_date else ""
                yield Input(due, placeholder="none", id="due_date", compact=True)
            yield FieldError(id="error-assignee_id")
            yield FieldError(id="error-due_date")
            with Horizontal(id="editor-labels"):
                yield Label("Labels ^l ")
                yield LabelChips(id="labels")
            yield FieldError(id="error-general")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save ^s", variant="primary", id="save", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.app.frames.subscribe(self, self.live_frames, immediate=True)
        self.query_one(LabelChips).show(self.store.task_labels(self.label_ids))
        self.opened = self.values()  # what Esc compares with before dropping anything
        if not self.store.can_edit:
            for widget in self.query("Input, TextArea, Select, #save"):
                widget.disabled = True
            self.query_one("#cancel", Button).focus()
        elif self.editing is not None and self.app.live is not None:
            self._typing("start")
            self.set_interval(TYPING_REFRESH, lambda: self._typing("start"))

    def on_unmount(self) -> None:
        if self.editing is not None and self.store.can_edit:
            self._typing("stop")

    def _typing(self, state: Literal["start", "stop"]) -> None:
        if self.app.live is not None and self.editing is not None:
            self.app.live.typing(wire.room_of(self.store.id), self.editing.id, state)

    # --- the form ------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The form as wire values; a malformed date is sent as typed for the server to judge."""
        due = self.query_one("#due_date", Input).value.strip()
        try:
            due_value: Any = dt.date.fromisoformat(due) if due else None
        except ValueError:
            due_value = due
        assignee = self.query_one("#assignee_id", Select).value
        return {
            "title": self.query_one("#title", Input).value,
            "description": self.query_one("#description", TextArea).text,
            "status": self.query_one("#status", Select).value,
            "priority": self.query_one("#priority", Select).value,
            "assignee_id": uuid.UUID(str(assignee)) if assignee != NOBODY else None,
            "due_date": due_value,
            "labels": list(self.label_ids),
        }

    def changes(self) -> dict[str, Any]:
        values = self.values()
        if self.editing is None:
            return values
        return {k: v for k, v in values.items() if getattr(self.editing, k) != v}

    def show_errors(self, errors: dict[str, str], general: str = "") -> None:
        """Each message under its field; those without a place of their own go last."""
        for field in INLINE_ERRORS:
            self.query_one(f"#error-{field}", FieldError).say(plainly(errors.get(field, "")))
        rest = [f"{k}: {plainly(v)}" for k, v in errors.items() if k not in INLINE_ERRORS]
        self.query_one("#error-general", FieldError).say(
            "; ".join([*rest, general][:3]).strip("; ")
        )

    @work(exclusive=True, group="editor-labels", exit_on_error=False)
    async def action_labels(self) -> None:
        """The label picker for this form's task; saved with the rest on ctrl+s."""
        if not self.store.can_edit:
            self.show_errors({}, "Read-only: you are a viewer of this project.")
            return
        picker = LabelPicker("Labels", list(self.store.labels.values()), [self.label_ids])
        changes = await self.app.push_screen_wait(picker)
        if changes:
            self.label_ids = applied(self.label_ids, changes)
            self.query_one(LabelChips).show(self.store.task_labels(self.label_ids))

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        """Leave at once when nothing was changed; otherwise ask before dropping the edits."""
        if self.values() == self.opened:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard changes?"), answered)

    @work(exclusive=True, group="editor-save", exit_on_error=False)
    async def action_save(self) -> None:
        if not self.store.can_edit:
            self.show_errors({}, "Read-only: you are a viewer of this project.")
            return
        fields = self.changes()
        if self.editing is not None and not fields:
            self.dismiss(None)
            return
        try:
            saved = await self._send(fields)
        except ApiError as exc:
            if exc.status == 404 and self.editing is not None:
                self.deleted_elsewhere()
            elif exc.status == 400:
                self.show_errors(exc.field_errors(), "" if exc.field_errors() else exc.detail)
            else:
                self.show_errors({}, f"Not saved: {exc.detail}")
            return
        except Unreachable as exc:
            self.show_errors({}, f"Not saved: {exc}. Your edit is kept: ctrl+s tries again.")
            return
        if saved is not None:
            self.dismiss(saved)

    def deleted_elsewhere(self) -> None:
        """The task is gone: keep what was typed, offer to save it as a new task."""
        if self.editing is None:
            return
        self._typing("stop")
        self.editing = None
        self.query_one(".dialog-title", Static).update("Deleted task (your edit is not saved)")
        self.show_errors(
            {},
            "Someone else deleted this task. Your text is kept: "
            "ctrl+s saves it as a new task, esc drops it.",
        )

    def live_frames(self, frames: list[wire.ServerFrame]) -> None:
        """Say at once when the task being edited is deleted, not only on save."""
        if self.editing is None:
            return
        for frame in frames:
            if (
                isinstance(frame, wire.RoomEvent)
                and frame.event == "task:deleted"
                and str(frame.data.get("id")) == str(self.editing.id)
            ):
                self.deleted_elsewhere()
                return

    async def _send(self, fields: dict[str, Any]) -> wire.Task | None:
        """Create, or update on the version we edited; a 409 goes through the conflict dialog."""
        api = self.app.api
        if self.editing is None:
            return await api.create_task(self.store.id, fields)
        version = self.editing.version
        while True:
            try:
                return await api.update_task(self.editing.id, {**fields, "version": version})
            except ApiError as exc:
                if exc.status != 409 or not isinstance(exc.extra, dict):
                    raise
                theirs = to_task(exc.extra["current"])
            self.store.put(theirs)
            merged = await self.app.push_screen_wait(ConflictScreen(self.store, theirs, fields))
            if merged is None:
                self.dismiss(theirs)
                return None
            fields, version = merged, theirs.version
