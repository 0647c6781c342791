"""The board: three columns (or a sortable list), live, with optimistic edits and undo."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from api import wire
from tui.client.edits import Edits, Severity
from tui.client.filters import TaskFilter
from tui.client.http import ApiError, Unreachable
from tui.client.marks import Marks
from tui.client.store import LIST_SORTS, SORT_LABELS, STATUS_TITLES, ProjectStore
from tui.editor import EditorFailed, edit_text
from tui.screens import board_keys
from tui.screens.confirm import ConfirmScreen, PickScreen
from tui.screens.labels import LabelPicker, applied
from tui.widgets.column import TaskColumn
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status import PresenceBar, TopBar
from tui.widgets.task_detail import TaskDetail
from tui.widgets.task_list import TaskList

if TYPE_CHECKING:
    from tui.app import TaskroomApp

NOBODY = "-"
READ_ONLY = "Read-only: you are a viewer of this project (the owner can make you an editor)."


class BoardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = board_keys.BINDINGS

    app: TaskroomApp

    def __init__(
        self, project_id: uuid.UUID, name: str = "", task_id: uuid.UUID | None = None
    ) -> None:
        """`task_id`: open with that task selected and its detail shown (from the inbox)."""
        super().__init__()
        self.project_id = project_id
        self.opening = task_id
        self.room = wire.room_of(project_id)
        self.name_hint = name
        self.store: ProjectStore | None = None
        self.filter = TaskFilter()
        self.list_mode = False
        self.sort = LIST_SORTS[0]
        self.edits: Edits | None = None
        self.marks = Marks()  # bulk keys act on these; shared with the columns and the list
        self.comments: dict[uuid.UUID, list[wire.Comment]] = {}  # loaded for the detail pane
        self.histories: dict[uuid.UUID, list[wire.ActivityItem]] = {}  # its History tab
        # Joined and asked for now, while the screen is still being built and laid out (the
        # server's ~0.1 s for a big board overlaps that): the first load awaits this reply.
        self.app.subscribe(self.room)
        self._first_fetch: asyncio.Task[wire.ProjectDetail] | None = asyncio.ensure_future(
            self.app.api.project(project_id)
        )

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.name_hint or "Board", presence=True, inbox=True)
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
                task_list = TaskList(id="task-list")
                task_list.display = False
                yield task_list
            yield TaskDetail(id="detail")
        yield FilterBar(id="filter")
        yield Static("", id="board-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        for column in self.columns():
            column.marks = self.marks
        self.query_one(TaskList).marks = self.marks
        self.app.frames.subscribe(self, self.live_frames, immediate=True)
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
        fetch, self._first_fetch = self._first_fetch, None
        try:
            detail = await (fetch or self.app.api.project(self.project_id))
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load the board")
            if isinstance(exc, ApiError) and exc.status == 404:
                self.dismiss()
            return
        if self.store is None:
            self.store = ProjectStore.from_detail(
                detail, self.app.user.id if self.app.user else None
            )
            self.edits = Edits(self.store, self.app.api, self)
        else:
            self.store.reset(detail)
        if self.app.live is not None:
            self.store.presence = self.app.live.presence.get(self.room, [])
        self.redraw(set(wire.TASK_STATUSES) | {"project"})
        if not any(c.has_focus for c in self.columns()) and not self.list_mode:
            self.column("todo").focus()
        if self.opening is not None:
            self.open_task(self.opening)
            self.opening = None

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
        if self.marks.keep(store.tasks) or touched & {"project", "labels"}:
            self.show_status()
        self.show_detail()

    def show_detail(self) -> None:
        """The detail pane follows the selection and every change to the selected task."""
        detail = self.query_one(TaskDetail)
        if not detail.display or self.store is None:
            return
        task = self.selected()
        detail.show(task, self.store.username(task.assignee_id) if task else "")
        if task is None:
            return
        if detail.tab == "detail-history":
            if task.id in self.histories:
                detail.show_history(self.histories[task.id])
            else:
                self.load_history(task.id)
        elif task.id in self.comments:
            detail.show_comments(self.comments[task.id])
        else:
            self.load_comments(task.id)

    def action_detail_tab(self) -> None:
        detail = self.query_one(TaskDetail)
        if not detail.display:
            detail.display = True
        else:
            detail.switch_tab()
        self.show_detail()

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load_history(self, task_id: uuid.UUID) -> None:
        try:
            self.histories[task_id] = (await self.app.api.task_activity(task_id)).items
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load the history")
            return
        selected = self.selected()
        if selected is not None and selected.id == task_id:
            self.query_one(TaskDetail).show_history(self.histories[task_id])

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

        task, store = self.selected(), self.store
        if task is None or store is None or not self.can_change():
            return
        body = await self.app.push_screen_wait(CommentScreen(task.title, store.others()))
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

    def _marked(self) -> str:
        """`3 marked  `: how many tasks the bulk keys act on."""
        return f"{len(self.marks)} marked  " if self.marks else ""

    def show_status(self) -> None:
        parts = []
        if self.marks and self.store is not None:
            shown = {t.id for t in self.store.listing("position", self.filter)}
            hidden = len(self.marks.ids - shown)  # still marked: a filter never drops a mark
            parts.append(f"{len(self.marks)} marked" + (f", {hidden} hidden" if hidden else ""))
        parts += [f"{problem}: left out" for problem in self.filter.unknown]
        if self.store is not None and self.filter.labels:
            here = {label.name.lower() for label in self.store.labels.values()}
            parts += [f"no label {name!r} here" for name in self.filter.labels if name not in here]
        if self.filter:
            parts.append("filter on (/ to change, esc in it to clear)")
        if self.list_mode:
            parts.append(f"sorted by {SORT_LABELS[self.sort]} (s)")
        self._label("#board-status", "  ".join(parts))

    def fill_list(self) -> None:
        if self.store is not None:
            width = self.size.width or self.app.size.width
            self.query_one(TaskList).fill(self.store, self.sort, self.filter, width)

    def on_resize(self) -> None:
        if self.list_mode:
            self.fill_list()

    # --- live ----------------------------------------------------------------------------

    def _forget_history(self, event: wire.RoomEvent) -> None:
        """A change to a task (or its comments) makes its loaded history old."""
        for key in ("task_id", "id"):
            with contextlib.suppress(ValueError):
                if self.histories.pop(uuid.UUID(str(event.data.get(key))), None) is not None:
                    return

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
                self._forget_history(frame)
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
            task_id = self.query_one(TaskList).current_id
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
            task_list = self.query_one(TaskList)
            task_list.show_task(task_id)
            task_list.focus()
        else:
            self.select(task_id)

    def open_task(self, task_id: uuid.UUID | None) -> None:
        """The task selected with its detail pane open; gone or None: just the board."""
        store = self.store
        if task_id is None or store is None:
            return
        if task_id not in store.tasks:
            self.notify("That task is no longer on this board.", severity="warning")
            return
        self.show_task(task_id)
        detail = self.query_one(TaskDetail)
        detail.display = True
        self.show_detail()

    def on_task_column_highlighted(self, message: TaskColumn.Highlighted) -> None:
        if message.task is not None and message.column.has_focus:
            self._label("#board-status", self._marked() + message.task.title)
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

    def tell(self, message: str, severity: Severity = "information") -> None:
        self.notify(message, severity=severity, timeout=6 if severity == "error" else None)

    def report(self, exc: Exception, doing: str) -> None:
        self.app.report(exc, doing)

    def change(
        self, task: wire.Task, fields: dict[str, Any], label: str, undo: bool = True
    ) -> None:
        """Show the change now, send it, roll it back with a notice if the server refuses."""
        assert self.edits is not None
        before = self.edits.show(task, fields, label, undo)
        self.select(task.id)
        self.send_change(before, fields, label)

    @work(group="writes", exit_on_error=False)
    async def send_change(self, before: wire.Task, fields: dict[str, Any], label: str) -> None:
        assert self.edits is not None
        await self.edits.send(before, fields, label)

    # --- marks and bulk changes ----------------------------------------------------------

    def marked_tasks(self) -> list[wire.Task]:
        store = self.store
        return [store.tasks[i] for i in self.marks.ids if i in store.tasks] if store else []

    def shown_ids(self) -> list[uuid.UUID]:
        """The tasks in view, in order: the focused column's, or the list's rows."""
        if self.list_mode:
            task_list = self.query_one(TaskList)
            return [uuid.UUID(str(row.value)) for row in task_list.rows]
        column = self.focused_column()
        return [t.id for t in column.tasks] if column else []

    def marks_changed(self, tasks: list[wire.Task]) -> None:
        for column in self.columns():
            column.refresh()
        if self.list_mode:
            self.query_one(TaskList).show_marks(tasks)
        self.show_status()

    def action_mark(self) -> None:
        task = self.selected()
        if task is not None:
            self.marks.toggle(task.id)
            self.marks_changed([task])

    def action_mark_range(self) -> None:
        task, store = self.selected(), self.store
        if task is not None and store is not None:
            before = set(self.marks.ids)
            self.marks.mark_range(self.shown_ids(), task.id)
            self.marks_changed([store.tasks[i] for i in self.marks.ids - before])

    def action_mark_all(self) -> None:
        if self.store is not None:
            shown = self.store.listing("position", self.filter)
            self.marks.mark_all(t.id for t in shown)
            self.marks_changed(shown)

    def clear_marks(self) -> None:
        marked = self.marked_tasks()
        self.marks.clear()
        self.marks_changed(marked)

    @work(group="writes", exit_on_error=False)
    async def bulk(self, tasks: list[wire.Task], fields: dict[str, Any], label: str) -> None:
        if self.edits is not None:
            await self.edits.bulk_set(tasks, fields, label)

    @work(exit_on_error=False)
    async def action_labels(self) -> None:
        task, store = self.selected(), self.store
        if task is None or store is None or not self.can_change():
            return
        tasks = self.marked_tasks() or [task]
        title = f"Labels of {len(tasks)} tasks" if self.marks else "Labels"
        picker = LabelPicker(title, list(store.labels.values()), [t.labels for t in tasks])
        changes = await self.app.push_screen_wait(picker)
        if not changes:
            return
        if self.marks:
            fields = {
                "add_labels": [i for i, on in changes.items() if on],
                "remove_labels": [i for i, on in changes.items() if not on],
            }
            self.bulk(tasks, {k: v for k, v in fields.items() if v}, f"Labels of {len(tasks)}")
            return
        current = store.tasks.get(task.id, task)
        self.change(current, {"labels": applied(current.labels, changes)}, "Labels")

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
        if self.marks:  # all to the column beside the cursor's
            moving = [t for t in self.marked_tasks() if t.status != status]
            if moving:
                self.bulk(
                    moving, {"status": status}, f"Move {len(moving)} to {STATUS_TITLES[status]}"
                )
            return
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
        if self.marks:  # the cursor's task's next priority, on all of them
            marked = self.marked_tasks()
            self.bulk(marked, {"priority": priority}, f"Priority {priority} on {len(marked)}")
            return
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
        if self.marks:
            marked = self.marked_tasks()
            self.bulk(marked, {"assignee_id": assignee}, f"{label} ({len(marked)} tasks)")
            return
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
        if saved is not None and self.edits is not None:
            self.edits.created(saved)
            self.select(saved.id)

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
        saved = await self.app.push_screen_wait(TaskEditor(store, task, task.status))
        if saved is not None and self.edits is not None:
            self.edits.edited(task, saved)
            self.select(saved.id)

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        task, store = self.selected(), self.store
        if task is None or store is None or not self.can_change():
            return
        if marked := self.marked_tasks():
            question = ConfirmScreen(f"Delete {len(marked)} tasks?")
            if await self.app.push_screen_wait(question) and self.edits is not None:
                await self.edits.bulk_delete(marked)
            return
        title = textwrap.shorten(task.title, 80, placeholder=" …")  # the buttons stay in view
        if not await self.app.push_screen_wait(ConfirmScreen(f"Delete {title!r}?")):
            return
        if self.edits is not None:
            await self.edits.delete(task)

    @work(exit_on_error=False)
    async def action_undo(self) -> None:
        if self.edits is not None and self.can_change():
            await self.edits.undo()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        if self.marks:
            self.clear_marks()
            return
        if self.query_one(FilterBar).display and self.filter:
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
        self.query_one(FilterBar).open()

    def on_filter_bar_typed(self, message: FilterBar.Typed) -> None:
        self.filter = message.filter
        self.redraw(set(wire.TASK_STATUSES))
        self.show_status()

    def on_filter_bar_applied(self, message: FilterBar.Applied) -> None:
        if message.filter.unknown:
            self.notify("; ".join(message.filter.unknown), title="Filter", severity="warning")
        self._focus_board()

    def _set_filter(self, text: str) -> None:
        self.query_one(FilterBar).set_query(text)
        self.filter = TaskFilter.parse(text)
        self.redraw(set(wire.TASK_STATUSES))
        self.show_status()
        self._focus_board()

    def _focus_board(self) -> None:
        if self.list_mode:
            self.query_one("#task-list").focus()
        else:
            column = next((c for c in self.columns() if c.tasks), self.column("todo"))
            column.focus()

    @work(exit_on_error=False)
    async def action_save_view(self) -> None:
        from tui.screens.views import SaveViewScreen

        query = self.query_one(FilterBar).value.strip()
        if self.store is None:
            return
        if not query:
            self.notify("No filter to save: / sets one, then S saves it.", severity="warning")
            return
        screen = SaveViewScreen(query, self.project_id, self.store.project.name)
        if (view := await self.app.push_screen_wait(screen)) is not None:
            self.notify(f"Saved the view {view.name!r} (w lists your views)")

    @work(exit_on_error=False)
    async def action_views(self) -> None:
        from tui.screens.views import ViewsScreen

        if self.store is None:
            return
        screen = ViewsScreen(self.project_id, self.store.project.name)
        if (view := await self.app.push_screen_wait(screen)) is not None:
            self.apply_view(view)

    def apply_view(self, view: wire.SavedView) -> None:
        """A saved view's filter, as if typed after `/`."""
        self._set_filter(view.query)
        self.notify(f"View {view.name}: {view.query}", markup=False)

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
        task_list = self.query_one(TaskList)
        task_list.display = self.list_mode
        if self.list_mode:
            self.fill_list()
            task_list.focus()
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
