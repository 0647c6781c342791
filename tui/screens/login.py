"""Log in or register: focus starts in the username, Tab to the password, Enter submits."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from tui.client.http import ApiError, Unreachable

if TYPE_CHECKING:
    from tui.app import TaskroomApp


RETRY_DOWN = 2.0  # seconds between tries while nothing answers
RECHECK_UP = 10.0


class LoginScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "register", "Register", id="login.register"),
        Binding("escape", "app.quit", "Quit", id="login.quit"),
        # Textual hands every key of one terminal read to the field focused when it was read,
        # so keys that arrive together (auto-type, a paste, a slow SSH link) would all land in
        # the username. Priority bindings run while the keys are handed out: the focus a Tab
        # or Enter moves is moved before the next key is given to a field.
        Binding("tab", "app.focus_next", show=False, priority=True, id="login.next"),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True, id="login.back"),
        Binding("enter,ctrl+j", "to_password", show=False, priority=True, id="login.to_password"),
        Binding("ctrl+j", "line_feed", show=False, id="login.line_feed"),
    ]
    AUTO_FOCUS = "#username"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (20, "-tall")]

    app: TaskroomApp

    def __init__(self, message: str = "") -> None:
        super().__init__()
        self.message = message
        self.server_down = False

    def on_mount(self) -> None:
        self.watch_server()

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Static("Taskroom", id="login-title")
            yield Static(self.app.server, id="login-server")
            yield Label("Username")
            yield Input(placeholder="your-name", id="username", max_length=32)
            yield Label("Password")
            yield Input(placeholder="8 characters or more", password=True, id="password")
            yield Static(self.message, id="login-message", markup=False)
            with Horizontal(id="login-buttons"):
                yield Button("Log in", variant="primary", id="login", compact=True)
                yield Button("Register", id="register", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def _say(self, text: str, error: bool = True) -> None:
        message = self.query_one("#login-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    def _unreachable(self) -> None:
        """The server's address is on screen already: the message stays short enough for 60x15."""
        self.server_down = True
        self._say(
            "Nothing answers at this server (is it running?). Trying again every few seconds…"
        )

    @work(exclusive=True, group="login-server", exit_on_error=False)
    async def watch_server(self) -> None:
        """Say at once when nothing answers at the server, not after the user typed; keep
        asking quietly, and when it answers clear the message (or resume a kept token)."""
        while True:
            answered = await self._answers()
            if not answered:
                self._unreachable()
            elif self.server_down:
                self.server_down = False
                self._say("")
                if self.app.api.token:
                    self.app.resume()
            await asyncio.sleep(RETRY_DOWN if self.server_down else RECHECK_UP)

    async def _answers(self) -> bool:
        try:
            await self.app.api.health()
        except Unreachable:
            return False
        except ApiError:
            pass  # something answers: a login says what is wrong with it
        return True

    def action_to_password(self) -> None:
        """Enter in the username goes on to an empty password; any other Enter is the field's."""
        password = self.query_one("#password", Input)
        if self.focused is not self.query_one("#username", Input) or password.value:
            raise SkipAction
        self.set_focus(password)  # now, not later as `focus()` would: the next key follows

    def action_line_feed(self) -> None:
        """Enter typed before the app started reaches it as a line feed (the terminal was still
        in line mode): in a field it logs in, as Enter would."""
        if isinstance(self.focused, Input):
            self.submit(register=False)

    @on(Input.Submitted)
    @on(Button.Pressed, "#login")
    def _login(self) -> None:
        self.submit(register=False)

    @on(Button.Pressed, "#register")
    def action_register(self) -> None:
        self.submit(register=True)

    @work(exclusive=True, exit_on_error=False)
    async def submit(self, register: bool) -> None:
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self._say("Enter a username and a password.")
            return
        self._say("Registering…" if register else "Logging in…", error=False)
        api = self.app.api
        try:
            auth = await (api.register if register else api.login)(username, password)
        except Unreachable:
            self._unreachable()
            return
        except ApiError as exc:
            if exc.status == 401:
                self._say("Wrong username or password.")
            elif exc.status == 409:
                self._say(f"The username {username!r} is taken: log in, or pick another.")
            else:
                fields = exc.field_errors()
                self._say("; ".join(f"{k}: {v}" for k, v in fields.items()) or exc.detail)
            return
        self.app.start_session(auth.user)
