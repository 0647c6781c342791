"""The user's SSH public keys: list, add (paste a .pub line), delete — for `ssh` logins."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.screens.confirm import ConfirmScreen, PromptScreen
from tui.widgets.status import TopBar
from tui.widgets.tables import Table, cursor_id

if TYPE_CHECKING:
    from tui.app import TaskroomApp

PASTE = "Add one by pasting your public key, e.g. the line in ~/.ssh/id_ed25519.pub."


def login_hint(server: str, user: str, env: Mapping[str, str] = os.environ) -> str:
    """The `ssh` line that logs `user` in. The API does not say where its SSH gateway listens:
    TASKROOM_SSH_PORT (and TASKROOM_SSH_HOST) do; without them the port is not made up."""
    host = env.get("TASKROOM_SSH_HOST") or urlsplit(server).hostname or "<server>"
    port = env.get("TASKROOM_SSH_PORT", "")
    if port.isdigit():
        command = f"ssh {user}@{host}" if port == "22" else f"ssh -p {port} {user}@{host}"
        return f"Keys listed here log you in with `{command}`. {PASTE}"
    return (
        f"Keys listed here log you in with `ssh -p <port> {user}@{host}`, <port> being the "
        "SSH gateway's (`taskroom ssh-serve --port`, 2222 unless changed; this server does "
        f"not say, set TASKROOM_SSH_PORT to show it). {PASTE}"
    )


class SshKeysScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add", id="ssh_keys.add"),
        Binding("d", "delete", "Delete", id="ssh_keys.delete"),
        Binding("r", "refresh", "Refresh", id="ssh_keys.refresh"),
        Binding("q,escape", "back", "Back", id="ssh_keys.back"),
    ]

    app: TaskroomApp

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[wire.SshKey] = []

    def compose(self) -> ComposeResult:
        user = self.app.user.username if self.app.user else ""
        yield TopBar(f"Taskroom · SSH keys of @{user}")
        hint = login_hint(self.app.server, user or "<you>")
        yield Static(hint, id="ssh-keys-hint", markup=False)
        table: Table[str] = Table(cursor_type="row", id="ssh-keys")
        table.add_column("Name", key="name")
        table.add_column("Type", key="algorithm")
        table.add_column("Fingerprint", key="fingerprint")
        table.add_column("Added", key="created_at")
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="ssh-keys-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            self.keys = await self.app.api.ssh_keys()
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load your SSH keys")
            return
        table = self.query_one(DataTable)
        table.clear()
        for key in self.keys:
            added = key.created_at.strftime("%Y-%m-%d")
            table.add_row(key.name, key.algorithm, key.fingerprint, added, key=str(key.id))
        if not self.keys:
            self.notify("No SSH keys yet: press a to add one.", timeout=4)

    def selected(self) -> wire.SshKey | None:
        key_id = cursor_id(self.query_one(DataTable))
        return next((k for k in self.keys if k.id == key_id), None)

    @work(exit_on_error=False)
    async def action_add(self) -> None:
        text = await self.app.push_screen_wait(
            PromptScreen("Paste a public key", placeholder="ssh-ed25519 AAAA… you@host")
        )
        if not text:
            return
        try:
            key = await self.app.api.add_ssh_key(text)
        except (ApiError, Unreachable) as exc:
            if isinstance(exc, ApiError) and exc.status in (400, 409):
                self.notify(exc.detail, severity="error", timeout=8)
            else:
                self.app.report(exc, "add the key")
            return
        self.notify(f"Added {key.name} ({key.fingerprint})")
        self.load()

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        key = self.selected()
        if key is None:
            return
        question = f"Delete the key {key.name!r}? It will no longer log you in over SSH."
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        try:
            await self.app.api.delete_ssh_key(key.id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "delete the key")
            return
        self.notify(f"Deleted {key.name}")
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss()
