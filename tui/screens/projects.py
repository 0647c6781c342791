"""The user's projects with role and task counts; live counts; create, rename, delete, open."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.screens.confirm import ConfirmScreen, PromptScreen
from tui.widgets.status import TopBar
from tui.widgets.tables import Table, cell, cursor_id, fit_columns

if TYPE_CHECKING:
    from tui.app import TaskroomApp

COLUMNS = (
    ("name", "Project", None),
    ("role", "Role", 6),
    ("todo", "To do", 5),
    ("in_progress", "Doing", 5),
    ("done", "Done", 5),
)


class ProjectsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: before the table's own enter, so the footer shows "⏎ Open"
        Binding("enter", "open", "Open", priority=True, id="projects.open"),
        Binding("n", "create", "New", id="projects.new"),
        Binding("R", "rename", "Rename", id="projects.rename"),
        Binding("d", "delete", "Delete", id="projects.delete"),
        Binding("r", "refresh", "Refresh", id="projects.refresh"),
        Binding("i", "app.inbox", "Inbox", id="projects.inbox"),
        Binding("o", "logout", "Log out", id="projects.logout"),
        Binding("s", "app.ssh_keys", "SSH keys", id="projects.ssh_keys"),
        Binding("t", "app.tokens", "Tokens", id="projects.tokens"),
        Binding("q", "app.quit", "Quit", id="projects.quit"),
    ]

    app: TaskroomApp

    def __init__(self, first: asyncio.Future[list[wire.Project]] | None = None) -> None:
        """`first`: the list already asked for (at start, alongside `me`), for the first load."""
        super().__init__()
        self.projects: list[wire.Project] = []
        self._first = first

    def compose(self) -> ComposeResult:
        user = self.app.user.username if self.app.user else ""
        yield TopBar(f"Taskroom · projects of @{user}", inbox=True)
        yield Table[Text](cursor_type="row", zebra_stripes=True, id="projects")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # Projects shared with me, renamed, left or deleted come as `me` frames, without
        # joining every room (presence means "on the board"); task counts refresh on return.
        self.app.frames.subscribe(self, self.live_frames)
        self.load()

    def live_frames(self, frames: list[wire.ServerFrame]) -> None:
        if self.app.screen is self and any(isinstance(f, wire.MeFrame) for f in frames):
            self.load(quiet=True)

    def on_screen_resume(self) -> None:
        if self.projects:
            self.load()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#projects", DataTable)

    @property
    def selected(self) -> wire.Project | None:
        project_id = cursor_id(self.table)
        return next((p for p in self.projects if p.id == project_id), None)

    @work(exclusive=True, group="projects-load", exit_on_error=False)
    async def load(self, select: uuid.UUID | None = None, quiet: bool = False) -> None:
        """`quiet`: after a live change, saying what came or went, and nothing when the server
        is away or nothing changed."""
        first, self._first = self._first, None
        try:
            projects = await (first or self.app.api.projects())
        except (ApiError, Unreachable) as exc:
            if not quiet or (isinstance(exc, ApiError) and exc.status == 401):
                self.app.report(exc, "load your projects")
            return
        projects.sort(key=lambda p: p.name.lower())
        if quiet and projects == self.projects:
            return
        added = {p.id for p in projects} - {p.id for p in self.projects}
        gone = [p.name for p in self.projects if p.id not in {q.id for q in projects}]
        self.show(projects, select)
        if quiet and added:
            names = ", ".join(p.name for p in projects if p.id in added)
            self.notify(f"New in your projects: {names}")
        if quiet and gone:
            self.notify(f"No longer in your projects: {', '.join(gone)}")
        if not projects and not quiet:
            self.notify("No projects yet: press n to create one.", timeout=4)

    def show(self, projects: list[wire.Project], select: uuid.UUID | None = None) -> None:
        table = self.table
        keep = select or (self.selected.id if self.selected else None)
        self.projects = sorted(projects, key=lambda p: p.name.lower())
        fit_columns(table, COLUMNS, self.size.width or self.app.size.width)
        for p in self.projects:
            c = p.task_counts
            cells = (p.name, p.role or "", str(c.todo), str(c.in_progress), str(c.done))
            table.add_row(*map(cell, cells), key=str(p.id))
        rows = [p.id for p in self.projects]
        if keep in rows:
            table.move_cursor(row=rows.index(keep))

    def on_resize(self) -> None:
        self.show(self.projects)

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        from tui.screens.board import BoardScreen

        if project := self.selected:
            self.app.push_screen(BoardScreen(project.id, project.name))

    def action_refresh(self) -> None:
        self.load()

    def action_logout(self) -> None:
        self.app.logout()

    @work(exit_on_error=False)
    async def action_create(self) -> None:
        name = await self.app.push_screen_wait(PromptScreen("Name of the new project"))
        if not name:
            return
        try:
            project = await self.app.api.create_project(name)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "create the project")
            return
        self.notify(f"Created {project.name}")
        self.load(select=project.id)

    @work(exit_on_error=False)
    async def action_rename(self) -> None:
        project = self.selected
        if project is None:
            return
        if project.role == "viewer":
            self.notify("Read-only: viewers cannot rename a project.", severity="warning")
            return
        name = await self.app.push_screen_wait(PromptScreen("New name", project.name))
        if not name or name == project.name:
            return
        try:
            await self.app.api.rename_project(project.id, name)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "rename the project")
            return
        self.load()

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        project = self.selected
        if project is None:
            return
        if project.role != "owner":
            self.notify("Only the owner can delete a project.", severity="warning")
            return
        question = f"Delete {project.name!r} with all its tasks? This cannot be undone."
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        try:
            await self.app.api.delete_project(project.id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "delete the project")
            return
        self.notify(f"Deleted {project.name}")
        self.load()
