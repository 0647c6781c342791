"""Members of a project: the owner adds by username with a role, changes roles, removes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.client.store import ProjectStore
from tui.screens.confirm import ConfirmScreen, PickScreen, PromptScreen
from tui.widgets.status import TopBar
from tui.widgets.tables import Table, cell, cursor_id, fit_columns

if TYPE_CHECKING:
    from tui.app import TaskroomApp

ROLE_CHOICES = [("editor", "editor: can change tasks"), ("viewer", "viewer: read-only")]
COLUMNS = (("username", "Username", 33), ("name", "Name", None), ("role", "Role", 6))
OWNER_ONLY = "Only the project's owner can manage members."


class MembersScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add", id="members.add"),
        Binding("e", "role", "Role", id="members.role"),
        Binding("d", "remove", "Remove", id="members.remove"),
        Binding("q,escape", "back", "Back", id="members.back"),
    ]

    app: TaskroomApp

    def __init__(self, store: ProjectStore, reload: Callable[[], Any]) -> None:
        super().__init__()
        self.store = store
        self.reload = reload

    def compose(self) -> ComposeResult:
        yield TopBar(f"{self.store.project.name} · members")
        yield Table[Text](cursor_type="row", id="members")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.fill()
        self.app.frames.subscribe(self, self.live_frames, immediate=True)

    def fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        fit_columns(table, COLUMNS, self.size.width or self.app.size.width)
        order = {"owner": 0, "editor": 1, "viewer": 2}
        for m in sorted(self.store.members.values(), key=lambda m: (order[m.role], m.username)):
            cells = (f"@{m.username}", m.display_name, m.role)
            table.add_row(*map(cell, cells), key=str(m.user_id))
        table.move_cursor(row=row)

    def on_resize(self) -> None:
        self.fill()

    def live_frames(self, frames: list[wire.ServerFrame]) -> None:
        if any(isinstance(f, wire.RoomEvent) and f.event.startswith("member:") for f in frames):
            self.fill()

    def selected(self) -> wire.Member | None:
        user_id = cursor_id(self.query_one(DataTable))
        return self.store.members.get(user_id) if user_id else None

    def owner(self) -> bool:
        if self.store.role == "owner":
            return True
        self.notify(OWNER_ONLY, severity="warning")
        return False

    @work(exit_on_error=False)
    async def action_add(self) -> None:
        if not self.owner():
            return
        username = await self.app.push_screen_wait(PromptScreen("Add a member: username"))
        if not username:
            return
        role = await self.app.push_screen_wait(PickScreen(f"Role of @{username}", ROLE_CHOICES))
        if not role:
            return
        try:
            member = await self.app.api.add_member(self.store.id, username.lstrip("@"), role)
        except (ApiError, Unreachable) as exc:
            if isinstance(exc, ApiError) and exc.status == 404:
                self.notify(f"No user named @{username}.", severity="error")
            elif isinstance(exc, ApiError) and exc.status == 409:
                self.notify(f"@{username} is already a member.", severity="warning")
            else:
                self.app.report(exc, "add the member")
            return
        self.store.members[member.user_id] = member
        self.fill()
        self.notify(f"Added @{member.username} as {member.role}")

    @work(exit_on_error=False)
    async def action_role(self) -> None:
        member = self.selected()
        if member is None or not self.owner():
            return
        if member.role == "owner":
            self.notify("The owner's role cannot change.", severity="warning")
            return
        role = await self.app.push_screen_wait(
            PickScreen(f"Role of @{member.username}", ROLE_CHOICES, member.role)
        )
        if not role or role == member.role:
            return
        try:
            updated = await self.app.api.set_role(self.store.id, member.user_id, role)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "change the role")
            return
        self.store.members[updated.user_id] = updated
        self.fill()

    @work(exit_on_error=False)
    async def action_remove(self) -> None:
        member = self.selected()
        if member is None:
            return
        me = self.app.user.id if self.app.user else None
        if member.user_id != me and not self.owner():
            return
        if member.role == "owner":
            self.notify("The owner cannot be removed.", severity="warning")
            return
        leaving = member.user_id == me
        question = "Leave this project?" if leaving else f"Remove @{member.username}?"
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        try:
            await self.app.api.remove_member(self.store.id, member.user_id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "remove the member")
            return
        self.store.members.pop(member.user_id, None)
        self.fill()
        self.reload()

    def action_back(self) -> None:
        self.dismiss()
