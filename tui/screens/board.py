"""The board: three columns (or a sortable list), live, with optimistic edits and undo."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets.data_table import RowDoesNotExist

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.client.store import (
    LIST_SORTS,
    SORT_LABELS,
    STATUS_TITLES,
    ProjectStore,
    TaskFilter,
    to_task,
)
from tui.editor import EditorFailed, edit_text
from tui.screens.confirm import ConfirmScreen, PickScreen
from tui.widgets.column import TaskColumn
from tui.widgets.status import PresenceBar, TopBar
from tui.widgets.tables import Table, cell, cursor_id, fit_columns
from tui.widgets.task_card import PRIORITY_LABEL
from tui.widgets.task_detail import TaskDetail

if TYPE_CHECKING:
    from tui.app import TaskroomApp

NOBODY = "-"
# the list view: the title takes what the fixed columns leave (an "In progress", "urgent",
# a date; usernames end in "…" past 12 cells)
LIST_COLUMNS = (
    ("title", "Title", None),
    ("status", "Status", 11),
    ("priority", "Priority", 8),
    ("assignee", "Assignee", 12),
    ("due", "Due", 10),
)
READ_ONLY = "Read-only: you are a viewer of this project (the owner can make you an editor)."


@dataclass
class Undo:
    """How to take back one of the user's own changes."""

    label: str
    task_id: uuid.UUID
    fields: dict[str, Any] | None = None  # the values before an update
    recreate: wire.Task | None = None  # a deleted task
    created: bool = False


def editable_fields(task: wire.Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "assignee_id": task.assignee_id,
        "due_date": task.due_date,
        "position": task.position,
    }


class BoardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", tooltip="New task in the focused column", id="board.new"),
        Binding("e", "edit", "Edit", tooltip="Edit the task (enter works too)", id="board.edit"),
        Binding("d", "delete", "Del", tooltip="Delete the task (asks first)", id="board.delete"),
        Binding(
            "H",
            "move(-1)",
            "◀",
            tooltip="Move the task to the previous column",
            id="board.move_left",
        ),
        Binding(
            "L", "move(1)", "▶", tooltip="Move the task to the next column", id="board.move_right"
        ),
        Binding(
            "K",
            "reorder(-1)",
            "Up",
            tooltip="Move the task up in its column",
            show=False,
            id="board.reorder_up",
        ),
        Binding(
            "J",
            "reorder(1)",
            "Down",
            tooltip="Move the task down in its column",
            show=False,
            id="board.reorder_down",
        ),
        Binding("p", "priority", "Prio", tooltip="Cycle the priority", id="board.priority"),
        Binding(
            "P",
            "toggle_detail",
            "Detail",
            tooltip="Show or hide the task's detail pane (description as markdown)",
            id="board.detail",
        ),
        Binding(
            "c",
            "comment",
            "Comment",
            show=False,
            tooltip="Comment on the task (markdown; ctrl+s sends)",
            id="board.comment",
        ),
        Binding(
            "E",
            "edit_description",
            "$EDITOR",
            show=False,
            tooltip="Edit the description in your $EDITOR (TASKROOM_EDITOR, VISUAL, EDITOR)",
            id="board.external_editor",
        ),
        Binding(
            "a", "assign", "Assign", show=False, tooltip="Assign to a member", id="board.assign"
        ),
        Binding(
            "u", "undo", "Undo", show=False, tooltip="Undo your own last change", id="board.undo"
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            tooltip="Filter: text status:x priority:x @user",
            id="board.filter",
        ),
        Binding("v", "toggle_view", "List", tooltip="Board / sortable list", id="board.view"),
        Binding(
            "s", "sort", "Sort", tooltip="Next sort order of the list", show=False, id="board.sort"
        ),
        Binding("m", "members", "Team", tooltip="Members of the project", id="board.members"),
        Binding("x", "exports", "Export", tooltip="Exports of the project", id="board.export"),
        Binding(
            "r",
            "refresh",
            "Refresh",
            tooltip="Reload the project from the server",
            show=False,
            id="board.refresh",
        ),
        Binding(
            "left,h",
            "column(-1)",
            "Left",
            tooltip="Focus the column on the left",
            show=False,
            id="board.left",
        ),
        Binding(
            "right,l",
            "column(1)",
            "Right",
            tooltip="Focus the column on the right",
            show=False,
            id="board.right",
        ),
        Binding("q,escape", "back", "Back", tooltip="Back to the projects", id="board.back"),
    ]

    app: TaskroomApp

    def __init__(self, project_id: uuid.UUID, name: str = "") -> None:
        super().__init__()
        self.project_id = project_id
        self.room = wire.room_of(project_id)
        self.name_hint = name
        self.store: ProjectStore | None = None
        self.filter = TaskFilter()
        self.list_mode = False
        self.sort = LIST_SORTS[0]
        self.undo_stack: list[Undo] = []
        self.comments: dict[uuid.UUID, list[wire.Comment]] = {}  # loaded for the detail pane
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.name_hint or "Board", presence=True)
        with Horizontal(id="board-main"):
            with Vertical(id="board-views"):
                with Horizontal(id="columns"):
                    for status in wire.TASK_STATUSES:
                        with Vertical(classes="column"):
                            yield Static(
                                STATUS_TITLES[status],
                                classes="column-title",
                                id=f"title-{status}",
                            )
                            yield TaskColumn(status, id=f"col-{status}")
                table: Table[Text] = Table(cursor_type="row", id="task-list")
                table.display = False
                yield table
            yield TaskDetail(id="detail")
        yield Input(placeholder="filter: text  status:todo  priority:high  @user", id="filter")
        yield Static("", id="board-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.app.frames.subscribe(self, self.live_frames, immediate=True)
        self.app.subscribe(self.room)
        self.load()

    def on_unmount(self) -> None:
        self.app.unsubscribe(self.room)

    def columns(self) -> list[TaskColumn]:
        return list(self.query(TaskColumn))

    def column(self, status: str) -> TaskColumn:
        return self.query_one(f"#col-{status}", TaskColumn)

    # --- loading and drawing -------------------------------------------------------------

    @work(exclusive=True, group="board-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            detail = await self.app.api.project(self.project_id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load the board")
            if isinstance(exc, ApiError) and exc.status == 404:
                self.dismiss()
            return
        if self.store is None:
            self.store = ProjectStore.from_detail(
                detail, self.app.user.id if self.app.user else None
            )
        else:
            self.store.reset(detail)
        if self.app.live is not None:
            self.store.presence = self.app.live.presence.get(self.room, [])
        self.redraw(set(wire.TASK_STATUSES) | {"project"})
        if not any(c.has_focus for c in self.columns()) and not self.list_mode:
            self.column("todo").focus()

    def redraw(self, touched: set[str]) -> None:
        store = self.store
        if store is None or self not in self.app.screen_stack or self.app.closing:
            return  # a late reply or live frame after the board was closed
        if "project" in touched:
            role = store.role or "?"
            ro = "  [read-only]" if not store.can_edit else ""
            self.query_one(TopBar).set_title(f"{store.project.name} · {role}{ro}")
        for status in wire.TASK_STATUSES:
            if status in touched:
                tasks = store.column(status, self.filter)
                self.column(status).set_tasks(tasks, store)
                self._label(f"#title-{status}", f"{STATUS_TITLES[status]} ({len(tasks)})")
        if self.list_mode and touched & set(wire.TASK_STATUSES):
            self.fill_list()
        self.query_one(PresenceBar).users = tuple(sorted(u.username for u in store.presence))
        if "project" in touched:
            self.show_status()
        self.show_detail()

    def show_detail(self) -> None:
        """The detail pane follows the selection and every change to the selected task."""
        detail = self.query_one(TaskDetail)
        if not detail.display or self.store is None:
            return
        task = self.selected()
        detail.show(task, self.store.username(task.assignee_id) if task else "")
        if task is not None:
            if task.id in self.comments:
                detail.show_comments(self.comments[task.id])
            else:
                self.load_comments(task.id)

    @work(exclusive=True, group="comments", exit_on_error=False)
    async def load_comments(self, task_id: uuid.UUID) -> None:
        try:
            self.comments[task_id] = await self.app.api.comments(task_id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load the comments")
            return
        selected = self.selected()
        if selected is not None and selected.id == task_id:
            self.query_one(TaskDetail).show_comments(self.comments[task_id])

    @work(exit_on_error=False)
    async def action_comment(self) -> None:
        from tui.screens.comment import CommentScreen

        task = self.selected()
        if task is None or not self.can_change():
            return
        body = await self.app.push_screen_wait(CommentScreen(task.title))
        if body is None:
            return
        try:
            await self.app.api.add_comment(task.id, body)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "comment")
            return
        self.comments.pop(task.id, None)  # the room's comment:created reloads it too
        self.show_detail()

    def _label(self, selector: str, text: str) -> None:
        """Fixed-size labels: redraw only on change and never re-layout (floods stay cheap)."""
        label = self.query_one(selector, Static)
        if str(label.content) != text:
            label.update(text, layout=False)

    def show_status(self) -> None:
        parts = [f"{problem}: left out" for problem in self.filter.unknown]
        if self.filter:
            parts.append("filter on (/ to change, esc in it to clear)")
        if self.list_mode:
            parts.append(f"sorted by {SORT_LABELS[self.sort]} (s)")
        self._label("#board-status", "  ".join(parts))

    def fill_list(self) -> None:
        store = self.store
        if store is None:
            return
        table = self.query_one("#task-list", DataTable)
        keep = self.selected()
        fit_columns(table, LIST_COLUMNS, self.size.width or self.app.size.width)
        for t in store.listing(self.sort, self.filter):
            table.add_row(
                cell(t.title),
                cell(STATUS_TITLES[t.status]),
                cell(PRIORITY_LABEL[t.priority]),
                cell(store.username(t.assignee_id)),
                cell(t.due_date.isoformat() if t.due_date else ""),
                key=str(t.id),
            )
        if keep is not None and keep.id in store.tasks:
            with contextlib.suppress(RowDoesNotExist):  # filtered out
                table.move_cursor(row=table.get_row_index(str(keep.id)))

    def on_resize(self) -> None:
        if self.list_mode:
            self.fill_list()

    # --- live ----------------------------------------------------------------------------

    def live_frames(self, frames: list[wire.ServerFrame]) -> None:
        store = self.store
        if store is None:
            return
        touched: set[str] = set()
        now = time.monotonic()
        role = store.role
        for frame in frames:
            if getattr(frame, "room", None) != self.room:
                continue
            if isinstance(frame, wire.RoomEvent):
                if frame.event.startswith("comment:"):
                    with contextlib.suppress(ValueError):
                        self.comments.pop(uuid.UUID(str(frame.data.get("task_id"))), None)
                    touched.add("comments")
                    continue
                if frame.event == "project:deleted":
                    self.notify("This project was deleted.", severity="warning")
                    self.dismiss()
                    return
                touched |= store.apply(frame)
            elif isinstance(frame, wire.Subscribed):
                store.presence = frame.presence
                touched.add("presence")
            elif isinstance(frame, wire.Presence):
                store.presence = frame.users
                touched.add("presence")
            elif isinstance(frame, wire.Typing) and frame.task_id is not None:
                is_me = self.app.user and frame.user.id == self.app.user.id
                if not is_me:
                    active = frame.state == "start"
                    touched |= store.set_typing(frame.task_id, frame.user.username, active, now)
            elif isinstance(frame, wire.Resync):
                if self.app.live:
                    self.app.live.forget_cursor(self.room)
                self.load()
            elif isinstance(frame, wire.ErrorFrame) and frame.code in ("forbidden", "not_found"):
                self.notify("You no longer have access to this project.", severity="warning")
                self.dismiss()
                return
        touched |= store.expire_typing(now)
        if touched:
            self.redraw(touched)
        if store.role != role:
            edits = "you can edit" if store.can_edit else "read-only"
            self.notify(f"Your role in this project is now {store.role}: {edits}.")

    # --- selection -----------------------------------------------------------------------

    def focused_column(self) -> TaskColumn | None:
        focused = self.focused
        return focused if isinstance(focused, TaskColumn) else None

    def selected(self) -> wire.Task | None:
        store = self.store
        if store is None:
            return None
        if self.list_mode:
            task_id = cursor_id(self.query_one("#task-list", DataTable))
            return store.tasks.get(task_id) if task_id else None
        column = self.focused_column()
        return column.current if column else None

    def select(self, task_id: uuid.UUID) -> None:
        store = self.store
        task = store.tasks.get(task_id) if store else None
        if task is None or self.list_mode:
            return
        column = self.column(task.status)
        column.select_task(task_id)
        column.focus()

    def show_task(self, task_id: uuid.UUID) -> None:
        """Put the cursor on the task (the palette's jump), clearing a filter that hides it."""
        store = self.store
        task = store.tasks.get(task_id) if store else None
        if store is None or task is None:
            return
        if self.filter and not self.filter.matches(task, store.username(task.assignee_id)):
            self._set_filter("")
        if self.list_mode:
            table = self.query_one("#task-list", DataTable)
            table.move_cursor(row=table.get_row_index(str(task_id)))
            table.focus()
        else:
            self.select(task_id)

    def on_task_column_highlighted(self, message: TaskColumn.Highlighted) -> None:
        if message.task is not None and message.column.has_focus:
            self._label("#board-status", message.task.title)
        self.show_detail()

    def on_data_table_row_highlighted(self) -> None:
        self.show_detail()

    def on_descendant_focus(self) -> None:
        self.show_detail()

    def can_change(self) -> bool:
        if self.store is not None and self.store.can_edit:
            return True
        self.notify(READ_ONLY, severity="warning")
        return False

    # --- optimistic writes ---------------------------------------------------------------

    def _lock(self, task_id: uuid.UUID) -> asyncio.Lock:
        return self._locks.setdefault(task_id, asyncio.Lock())

    def change(
        self, task: wire.Task, fields: dict[str, Any], label: str, undo: bool = True
    ) -> None:
        """Show the change now, send it, roll it back with a notice if the server refuses."""
        store = self.store
        assert store is not None
        before = store.tasks.get(task.id, task)
        shown = msgspec.structs.replace(before, **fields)
        self.redraw(store.show(shown))
        self.select(task.id)
        if undo:
            old = editable_fields(before)
            self.undo_stack.append(Undo(label, task.id, {k: old[k] for k in fields}))
        self.send_change(before, fields, label)

    @work(group="writes", exit_on_error=False)
    async def send_change(self, before: wire.Task, fields: dict[str, Any], label: str) -> None:
        store = self.store
        assert store is not None
        async with self._lock(before.id):
            version = store.tasks.get(before.id, before).version
            body = {**msgspec.to_builtins(fields), "version": version}
            try:
                saved = await self.app.api.update_task(before.id, body)
            except ApiError as exc:
                if exc.status == 409 and isinstance(exc.extra, dict):
                    current = to_task(exc.extra["current"])
                    store.tasks[current.id] = current
                    self.redraw({before.status, current.status})
                    self.notify(f"{label}: someone else changed this task first; reloaded it.")
                    return
                self._rollback(before, exc, label)
                return
            except Unreachable as exc:
                self._rollback(before, exc, label)
                return
            self.redraw(store.put(saved))

    def _rollback(self, before: wire.Task, exc: Exception, label: str) -> None:
        store = self.store
        assert store is not None
        current = store.tasks.get(before.id)
        touched: set[str] = {before.status} | ({current.status} if current else set())
        store.tasks[before.id] = before
        self.redraw(touched)
        reason = exc.detail if isinstance(exc, ApiError) else str(exc)
        self.notify(f"{label} undone: {reason}", severity="error", timeout=6)

    # --- actions -------------------------------------------------------------------------

    def action_column(self, step: int) -> None:
        if self.list_mode:
            return
        columns = self.columns()
        current = self.focused_column()
        index = columns.index(current) if current else 0
        columns[(index + step) % len(columns)].focus()

    def action_move(self, step: int) -> None:
        task = self.selected()
        if task is None or self.store is None or not self.can_change():
            return
        statuses = wire.TASK_STATUSES
        index = statuses.index(task.status) + step
        if not 0 <= index < len(statuses):
            return
        status = statuses[index]
        fields = {"status": status, "position": self.store.end_position(status)}
        self.change(task, fields, f"Move to {STATUS_TITLES[status]}")

    def action_reorder(self, step: int) -> None:
        task = self.selected()
        if task is None or self.store is None or self.list_mode or not self.can_change():
            return
        position = self.store.neighbour_position(task, step)
        if position is not None:
            self.change(task, {"position": position}, "Reorder")

    def action_priority(self) -> None:
        task = self.selected()
        if task is None or not self.can_change():
            return
        order = wire.TASK_PRIORITIES
        priority = order[(order.index(task.priority) + 1) % len(order)]
        self.change(task, {"priority": priority}, f"Priority {priority}")

    @work(exit_on_error=False)
    async def action_assign(self) -> None:
        task, store = self.selected(), self.store
        if task is None or store is None or not self.can_change():
            return
        choices = [(NOBODY, "nobody")] + [
            (str(m.user_id), f"@{m.username} ({m.display_name})")
            for m in sorted(store.members.values(), key=lambda m: m.username)
        ]
        current = str(task.assignee_id) if task.assignee_id else NOBODY
        picked = await self.app.push_screen_wait(PickScreen("Assign to", choices, current))
        if picked is None or picked == current:
            return
        assignee = None if picked == NOBODY else uuid.UUID(picked)
        label = f"Assign to @{store.username(assignee)}" if assignee else "Unassign"
        self.change(task, {"assignee_id": assignee}, label)

    @work(exit_on_error=False)
    async def action_new(self) -> None:
        from tui.screens.task_editor import TaskEditor

        store = self.store
        if store is None or not self.can_change():
            return
        column = self.focused_column()
        status = column.status if column else "todo"
        saved = await self.app.push_screen_wait(TaskEditor(store, None, status))
        if saved is not None:
            self.redraw(store.put(saved))
            self.select(saved.id)
            self.undo_stack.append(Undo("Create", saved.id, created=True))

    def on_data_table_row_selected(self) -> None:
        self.action_edit()

    @work(exit_on_error=False)
    async def action_edit(self) -> None:
        from tui.screens.task_editor import TaskEditor

        task, store = self.selected(), self.store
        if task is None or store is None:
            return
        if not store.can_edit:
            self.notify(READ_ONLY, severity="warning")
        before = editable_fields(task)
        saved = await self.app.push_screen_wait(TaskEditor(store, task, task.status))
        if saved is not None:
            changed = {k: v for k, v in before.items() if editable_fields(saved)[k] != v}
            self.redraw(store.put(saved))
            self.select(saved.id)
            if saved.id != task.id:  # deleted meanwhile and saved again as a new task
                self.undo_stack.append(Undo("Create", saved.id, created=True))
            elif changed:
                self.undo_stack.append(Undo("Edit", saved.id, changed))

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        task, store = self.selected(), self.store
        if task is None or store is None or not self.can_change():
            return
        title = textwrap.shorten(task.title, 80, placeholder=" …")  # the buttons stay in view
        if not await self.app.push_screen_wait(ConfirmScreen(f"Delete {title!r}?")):
            return
        self.redraw(store.drop(task.id))
        try:
            await self.app.api.delete_task(task.id)
        except (ApiError, Unreachable) as exc:
            if not (isinstance(exc, ApiError) and exc.status == 404):
                self._rollback(task, exc, "Delete")
            return
        self.undo_stack.append(Undo("Delete", task.id, recreate=task))

    @work(exit_on_error=False)
    async def action_undo(self) -> None:
        store = self.store
        if store is None or not self.can_change():
            return
        if not self.undo_stack:
            self.notify("Nothing of yours to undo.")
            return
        undo = self.undo_stack.pop()
        task = store.tasks.get(undo.task_id)
        try:
            if undo.created and task is not None:
                self.redraw(store.drop(task.id))
                await self.app.api.delete_task(task.id)
            elif undo.recreate is not None:
                body = msgspec.to_builtins(editable_fields(undo.recreate))
                saved = await self.app.api.create_task(self.project_id, body)
                self.redraw(store.put(saved))
            elif undo.fields is not None and task is not None:
                self.change(task, undo.fields, f"Undo {undo.label.lower()}", undo=False)
            else:
                self.notify("That task is gone; nothing to undo.")
                return
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, f"undo {undo.label.lower()}")
            return
        self.notify(f"Undid: {undo.label}")

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.display and self.filter:
            self._set_filter("")
            return
        self.dismiss()

    def action_members(self) -> None:
        from tui.screens.members import MembersScreen

        if self.store is not None:
            self.app.push_screen(MembersScreen(self.store, self.load))

    def action_exports(self) -> None:
        from tui.screens.exports import ExportsScreen

        if self.store is not None:
            self.app.push_screen(ExportsScreen(self.store))

    # --- filter, list view, sorting ------------------------------------------------------

    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.display = True
        filter_input.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter = TaskFilter.parse(event.value)
        self.redraw(set(wire.TASK_STATUSES))
        self.show_status()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        if self.filter.unknown:
            self.notify("; ".join(self.filter.unknown), title="Filter", severity="warning")
        self._focus_board()

    def _set_filter(self, text: str) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.value = text
        self.filter = TaskFilter.parse(text)
        filter_input.display = bool(text)
        self.redraw(set(wire.TASK_STATUSES))
        self.show_status()
        self._focus_board()

    def _focus_board(self) -> None:
        if self.list_mode:
            self.query_one("#task-list").focus()
        else:
            column = next((c for c in self.columns() if c.tasks), self.column("todo"))
            column.focus()

    def on_descendant_blur(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.display and not filter_input.has_focus and not filter_input.value:
            filter_input.display = False

    def action_toggle_detail(self) -> None:
        detail = self.query_one(TaskDetail)
        detail.display = not detail.display
        self.show_detail()

    @work(exit_on_error=False)
    async def action_edit_description(self) -> None:
        """The description in the user's editor; saved like any other change (undo, 409)."""
        task = self.selected()
        if task is None or not self.can_change():
            return
        try:
            text = edit_text(self.app, task.description)
        except EditorFailed as exc:
            self.notify(f"Description not changed: {exc}", severity="warning")
            return
        current = self.store.tasks.get(task.id) if self.store else None
        if current is not None and text != current.description:
            self.change(current, {"description": text}, "Description")

    def action_toggle_view(self) -> None:
        keep = self.selected()
        self.list_mode = not self.list_mode
        self.query_one("#columns").display = not self.list_mode
        table = self.query_one("#task-list", DataTable)
        table.display = self.list_mode
        if self.list_mode:
            self.fill_list()
            table.focus()
        else:
            self._focus_board()
            if keep:
                self.select(keep.id)
        self.show_status()

    def action_sort(self) -> None:
        if not self.list_mode:
            self.action_toggle_view()
        self.sort = LIST_SORTS[(LIST_SORTS.index(self.sort) + 1) % len(LIST_SORTS)]
        self.fill_list()
        self.show_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # keys stay live for viewers (pressing one says why); only list-only keys are hidden
        if action == "reorder" and self.list_mode:
            return None
        return True
