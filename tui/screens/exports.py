"""Exports: start one, watch its progress from `export:updated`, browse history, save a file
or get a download link (over SSH a saved file would land on the gateway, so a link it is)."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import msgspec
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.client.store import ProjectStore
from tui.screens.confirm import PickScreen, PromptScreen
from tui.widgets.status import TopBar
from tui.widgets.tables import Table, cursor_id

if TYPE_CHECKING:
    from tui.app import TaskroomApp

FORMATS = [("csv", "CSV (spreadsheets)"), ("json", "JSON"), ("markdown", "Markdown")]
EXTENSIONS = {"csv": "csv", "json": "json", "markdown": "md"}
WORKER_WAIT = 5.0  # seconds an export may sit pending before the screen says no worker took it


def over_ssh(env: Mapping[str, str] = os.environ) -> bool:
    """The SSH gateway says so: this process, and any file it writes, is on the gateway."""
    return env.get("TASKROOM_SESSION") == "ssh"


def public_url(server: str, env: Mapping[str, str] = os.environ) -> str:
    """Where the user's own machine reaches the API: the gateway's TASKROOM_PUBLIC_URL (its
    `--server` may be an address only the gateway can reach), else the TUI's own server."""
    return (env.get("TASKROOM_PUBLIC_URL") or server).rstrip("/")


def size_label(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1024:.1f} KiB" if size >= 1024 else f"{size} B"


class ExportsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "start", "New export", id="exports.new"),
        Binding("s", "save", "Save to…", id="exports.save"),
        Binding("l", "link", "Download link", id="exports.link"),
        Binding("r", "refresh", "Refresh", id="exports.refresh"),
        Binding("q,escape", "back", "Back", id="exports.back"),
    ]

    app: TaskroomApp

    def __init__(self, store: ProjectStore) -> None:
        super().__init__()
        self.store = store
        self.jobs: dict[uuid.UUID, wire.ExportJob] = {}
        self.active: uuid.UUID | None = None
        self.active_since = 0.0  # when this screen started the active export

    def compose(self) -> ComposeResult:
        yield TopBar(f"{self.store.project.name} · exports")
        yield Static("No export running. Press n to start one.", id="export-status")
        yield ProgressBar(total=1.0, show_eta=False, id="export-progress")
        yield Static("", id="export-link")
        table: Table[str] = Table(cursor_type="row", id="exports")
        for key, label in (
            ("created", "Started"),
            ("format", "Format"),
            ("status", "Status"),
            ("progress", "Progress"),
            ("size", "Size"),
            ("attempts", "Tries"),
        ):
            table.add_column(label, key=key)
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        self.app.frames.subscribe(self, self.live_frames, immediate=True)

    @work(exclusive=True, group="exports-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            jobs = await self.app.api.exports(self.store.id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load the exports")
            return
        self.jobs = {j.id: j for j in jobs}
        self.fill()

    def fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for job in sorted(self.jobs.values(), key=lambda j: j.created_at, reverse=True):
            table.add_row(
                job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                job.format,
                job.status,
                f"{job.progress:.0%}",
                size_label(job.size_bytes),
                str(job.attempts),
                key=str(job.id),
            )
        table.move_cursor(row=row)
        self.show_active()

    def show_active(self) -> None:
        job = self.jobs.get(self.active) if self.active else None
        bar = self.query_one(ProgressBar)
        status = self.query_one("#export-status", Static)
        if job is None:
            return
        bar.update(progress=job.progress if job.status != "COMPLETED" else 1.0)
        text = f"{job.format} export: {job.status.lower()}"
        if job.status == "PENDING" and time.monotonic() - self.active_since >= WORKER_WAIT:
            text += ": waiting for a worker (none has taken it yet)"
        elif job.status == "COMPLETED":
            text += f", {size_label(job.size_bytes)}. Press s to save it."
        elif job.status == "FAILED":
            text += f": {job.error or 'unknown error'}"
        status.update(text)

    def live_frames(self, frames: list[wire.ServerFrame]) -> None:
        changed = False
        for frame in frames:
            if isinstance(frame, wire.RoomEvent) and frame.event == "export:updated":
                job = msgspec.convert(frame.data, wire.ExportJob, strict=False)
                if job.project_id == self.store.id:
                    self.jobs[job.id] = job
                    changed = True
        if changed:
            self.fill()

    def selected(self) -> wire.ExportJob | None:
        job_id = cursor_id(self.query_one(DataTable))
        return self.jobs.get(job_id) if job_id else None

    @work(exit_on_error=False)
    async def action_start(self) -> None:
        fmt = await self.app.push_screen_wait(PickScreen("Export format", FORMATS))
        if not fmt:
            return
        try:
            job = await self.app.api.start_export(self.store.id, fmt)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "start the export")
            return
        self.jobs.setdefault(job.id, job)
        self.active = job.id
        self.active_since = time.monotonic()
        self.set_timer(WORKER_WAIT, self.show_active)
        self.fill()
        self.query_one(DataTable).move_cursor(row=0)

    def finished(self) -> wire.ExportJob | None:
        """The selected export if its file is ready (else say why not)."""
        job = self.selected()
        if job is not None and job.status != "COMPLETED":
            self.notify(f"That export is {job.status.lower()}, not finished.", severity="warning")
            return None
        return job

    def file_name(self, job: wire.ExportJob) -> str:
        """A file name for the export, safe in a path and in a shell line."""
        name = f"{self.store.project.name}-{job.created_at:%Y%m%d-%H%M%S}.{EXTENSIONS[job.format]}"
        return re.sub(r"[^A-Za-z0-9._-]+", "-", name).lstrip("-.")

    @work(exit_on_error=False)
    async def action_link(self) -> None:
        """A link that serves the file for 10 minutes: shown, with a `curl` line, and copied to
        the clipboard by OSC 52 (over SSH too, where the terminal allows it)."""
        job = self.finished()
        if job is None:
            return
        try:
            link = await self.app.api.export_link(job.id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "make a download link")
            return
        url = public_url(self.app.server) + link.url
        self.app.copy_to_clipboard(url)
        until = link.expires_at.strftime("%H:%M UTC")
        self.query_one("#export-link", Static).update(
            Content(
                f"Download link, valid until {until} (copied to your clipboard if your terminal "
                f"allows it):\n{url}\nor run: curl -fo {self.file_name(job)} '{url}'"
            )
        )
        self.notify("Download link copied to the clipboard")

    @work(exit_on_error=False)
    async def action_save(self) -> None:
        if over_ssh():
            self.notify("Over SSH a saved file would stay on the server: here is a link instead.")
            self.action_link()
            return
        job = self.finished()
        if job is None:
            return
        default = str(Path.cwd() / self.file_name(job))
        target = await self.app.push_screen_wait(PromptScreen("Save the export to", default))
        if not target:
            return
        try:
            size = await self.app.api.download_export(job.id, Path(target))
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "download the export")
            return
        except OSError as exc:
            self.notify(f"Could not write {target}: {exc.strerror}", severity="error")
            return
        self.notify(f"Saved {size_label(size)} to {target}")

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss()
