"""`i`: the user's notifications, newest first and live; Enter opens the task on its board.

Opening one marks it read, `r` marks the selected one, `A` (or `R`) all of them; the next
page loads when the cursor reaches the last row (the server's `next` cursor).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, ClassVar

import msgspec
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.notifications import subject, when, who
from tui.widgets.status import TopBar
from tui.widgets.tables import Table, cursor_id, fit_columns

if TYPE_CHECKING:
    from tui.app import TaskroomApp

PAGE = 50
MAX_PAGE = 200  # the server's largest `limit`
COLUMNS = (
    ("mark", "", 1),
    ("who", "What", None),
    ("task", "Task", None),
    ("project", "Project", 12),
    ("at", "When", 10),
)
EMPTY = "Nothing yet: assignments, @mentions and comments on your tasks land here."


class InboxScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: before the table's own enter, so the footer shows "⏎ Open"
        Binding("enter", "open", "Open", priority=True, id="inbox.open"),
        Binding("r", "read", "Read", id="inbox.read"),
        Binding("A,R", "read_all", "All read", id="inbox.read_all"),
        Binding("u", "unread_only", "Unread only", id="inbox.unread_only"),
        Binding("q,escape", "back", "Back", id="inbox.back"),
    ]

    app: TaskroomApp

    def __init__(self) -> None:
        super().__init__()
        self.items: list[wire.Notification] = []
        self.next: uuid.UUID | None = None
        self.unread_only = False
        self.loaded = False

    def compose(self) -> ComposeResult:
        user = self.app.user.username if self.app.user else ""
        yield TopBar(f"Taskroom · inbox of @{user}", inbox=True)
        yield Table[Text](cursor_type="row", id="inbox")
        yield Static("", id="inbox-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.app.frames.subscribe(self, self.live_frames)
        self.load()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#inbox", DataTable)

    @property
    def selected(self) -> wire.Notification | None:
        notification_id = cursor_id(self.table)
        return next((n for n in self.items if n.id == notification_id), None)

    # --- loading and drawing -------------------------------------------------------------

    @work(exclusive=True, group="inbox-load", exit_on_error=False)
    async def load(self, more: bool = False) -> None:
        """The first page (as many rows as are shown, after a change elsewhere), or the next."""
        before = self.next if more else None
        limit = PAGE if more else min(MAX_PAGE, max(PAGE, len(self.items)))
        try:
            page = await self.app.api.notifications(
                unread=self.unread_only, limit=limit, before=before
            )
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load your inbox")
            return
        self.items = [*self.items, *page.items] if more else page.items
        self.next, self.loaded = page.next, True
        self.app.unread = page.unread
        self.show()

    def show(self) -> None:
        table = self.table
        keep = self.selected.id if self.selected else None
        fit_columns(table, COLUMNS, self.size.width or self.app.size.width)
        now = dt.datetime.now(dt.UTC)
        for n in self.items:
            style = "" if n.read else "bold"
            cells = ("" if n.read else "●", who(n), subject(n), n.project.name, when(n.at, now))
            row = [Text(c, style=style, no_wrap=True, overflow="ellipsis", end="") for c in cells]
            table.add_row(*row, key=str(n.id))
        rows = [n.id for n in self.items]
        if keep in rows:
            table.move_cursor(row=rows.index(keep))
        self.show_status()

    def show_status(self) -> None:
        unread = sum(not n.read for n in self.items)
        which = "unread only (u shows all)" if self.unread_only else f"{unread} unread here"
        more = " · more below" if self.next else ""
        text = f"{len(self.items)} shown · {which}{more}" if self.items else EMPTY
        self.query_one("#inbox-status", Static).update(text if self.loaded else "Loading…")

    def on_resize(self) -> None:
        self.show()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.next is not None and event.cursor_row == self.table.row_count - 1:
            self.load(more=True)

    def live_frames(self, frames: list[wire.ServerFrame]) -> None:
        fresh = [f.data for f in frames if isinstance(f, wire.NotificationFrame)]
        if any(isinstance(f, wire.UnreadFrame) for f in frames):
            self.load()  # read elsewhere, or a project left: the server's rows are the truth
        elif fresh:
            known = {n.id for n in self.items}
            self.items = [n for n in reversed(fresh) if n.id not in known] + self.items
            self.show()

    # --- actions -------------------------------------------------------------------------

    def _mark_read(self, ids: list[uuid.UUID] | None) -> None:
        """Shown read now; the server is told in the app's worker (it outlives this screen)."""
        self.items = [
            msgspec.structs.replace(n, read=True) if ids is None or n.id in ids else n
            for n in self.items
        ]
        self.app.mark_read(ids)
        self.show()

    def action_open(self) -> None:
        notification = self.selected
        if notification is None:
            return
        if not notification.read:
            self._mark_read([notification.id])
        if notification.task is None:
            self.notify("That task was deleted: opening its project.", severity="warning")
        task_id = notification.task.id if notification.task else None
        self.app.open_task(notification.project, task_id)

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def action_read(self) -> None:
        notification = self.selected
        if notification is not None and not notification.read:
            self._mark_read([notification.id])
            self.table.action_cursor_down()

    def action_read_all(self) -> None:
        if any(not n.read for n in self.items) or self.app.unread:
            self._mark_read(None)

    def action_unread_only(self) -> None:
        self.unread_only = not self.unread_only
        self.items, self.next = [], None
        self.load()

    def action_back(self) -> None:
        self.dismiss()
