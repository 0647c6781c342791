"""The user's personal access tokens: list, create (the secret shown once), revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.screens.confirm import ConfirmScreen, PickScreen, PromptScreen
from tui.widgets.status import TopBar
from tui.widgets.tables import Table, cursor_id

if TYPE_CHECKING:
    from tui.app import TaskroomApp

HINT = (
    "Tokens let scripts and the CLI act as you (`Authorization: Bearer trp_…`, or "
    "TASKROOM_TOKEN). A new token is shown once: copy it then."
)


class TokensScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New", id="tokens.new"),
        Binding("d", "delete", "Revoke", id="tokens.delete"),
        Binding("r", "refresh", "Refresh", id="tokens.refresh"),
        Binding("q,escape", "back", "Back", id="tokens.back"),
    ]

    app: TaskroomApp

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[wire.ApiToken] = []
        self.shown: str | None = None  # the last created secret, on screen until it is left

    def compose(self) -> ComposeResult:
        user = self.app.user.username if self.app.user else ""
        yield TopBar(f"Taskroom · access tokens of @{user}")
        yield Static(HINT, id="tokens-hint", markup=False)
        yield Static("", id="tokens-secret", markup=False)
        table: Table[str] = Table(cursor_type="row", id="tokens")
        table.add_column("Name", key="name")
        table.add_column("Scope", key="scope")
        table.add_column("Created", key="created_at")
        table.add_column("Expires", key="expires_at")
        table.add_column("Last used", key="last_used_at")
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="tokens-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            self.tokens = await self.app.api.tokens()
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "load your tokens")
            return
        table = self.query_one(DataTable)
        table.clear()
        for t in self.tokens:
            table.add_row(
                t.name,
                t.scope,
                t.created_at.strftime("%Y-%m-%d"),
                t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "never",
                t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never",
                key=str(t.id),
            )

    def selected(self) -> wire.ApiToken | None:
        token_id = cursor_id(self.query_one(DataTable))
        return next((t for t in self.tokens if t.id == token_id), None)

    @work(exit_on_error=False)
    async def action_create(self) -> None:
        name = await self.app.push_screen_wait(PromptScreen("Name the token", placeholder="ci"))
        if not name:
            return
        scope = await self.app.push_screen_wait(
            PickScreen("Scope", [("read", "read: GET only"), ("write", "write: everything")])
        )
        if scope not in ("read", "write"):
            return
        days = await self.app.push_screen_wait(
            PromptScreen("Expires in days (1-365, empty: never)", placeholder="90")
        )
        if days is None:
            return
        if days.strip() and not (days.strip().isdigit() and 1 <= int(days) <= 365):
            self.notify("Days must be a number from 1 to 365", severity="error")
            return
        body = wire.ApiTokenCreate(
            name=name,
            scope="read" if scope == "read" else "write",
            expires_in_days=int(days) if days.strip() else None,
        )
        try:
            made = await self.app.api.create_token(body)
        except (ApiError, Unreachable) as exc:
            if isinstance(exc, ApiError) and exc.status in (400, 403, 409):
                self.notify(exc.detail, severity="error", timeout=8)
            else:
                self.app.report(exc, "create the token")
            return
        self.shown = made.token
        secret = self.query_one("#tokens-secret", Static)
        secret.update(f"New token {made.name!r} (shown once, copy it now): {made.token}")
        self.load()

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        token = self.selected()
        if token is None:
            return
        question = f"Revoke the token {token.name!r}? Whatever uses it stops working at once."
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        try:
            await self.app.api.delete_token(token.id)
        except (ApiError, Unreachable) as exc:
            self.app.report(exc, "revoke the token")
            return
        self.notify(f"Revoked {token.name}")
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss()
