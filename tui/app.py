"""TaskroomApp: owns the HTTP client, the one live websocket and the screen flow.

Screens talk to the server through `app.api` in workers and receive live frames by
subscribing to the `app.frames` signal; the app only routes, it holds no project state.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any, ClassVar

from rich.console import RenderableType
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from api import wire
from tui.client.http import ApiClient, ApiError, Unreachable
from tui.client.live import ConnectionChanged, ConnectionState, LiveClient, LiveFrames
from tui.commands import JumpCommands, ScreenCommands, SearchCommands, ViewCommands
from tui.config import TokenStore, load_keymap
from tui.keys import known_ids
from tui.notifications import describe
from tui.widgets.status import ConnectionIndicator

STYLES = Path(__file__).parent / "styles"
NOTICES_KEPT = 20


class TaskroomApp(App[None]):
    CSS_PATH = STYLES / "app.tcss"
    TITLE = "Taskroom"
    COMMANDS = App.COMMANDS | {ScreenCommands, JumpCommands, SearchCommands, ViewCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Palette",
            show=False,
            priority=True,
            tooltip="Every action of this screen; jump to a task or project; search all tasks",
            id="app.palette",
        ),
        Binding(
            "colon",
            "command_palette",
            "Jump",
            show=False,
            tooltip="Search the tasks of every project, jump to one (the palette, as ctrl+p)",
            id="app.jump",
        ),
        Binding(
            "ctrl+n",
            "notices",
            "Notices",
            show=False,
            tooltip="The last notices, newest first",
            id="app.notices",
        ),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]
    # The user's unread notifications (None until known): kept by the live frames and read
    # on login and after a reconnect; the top bars watch it.
    unread: reactive[int | None] = reactive(None)

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        tokens: TokenStore | None = None,
        keymap: dict[str, str] | None = None,
        live: bool = True,
    ) -> None:
        """`token` (e.g. from TASKROOM_TOKEN) is used as given and never written to disk."""
        super().__init__()
        self.server = server.rstrip("/")
        self.tokens = tokens if tokens is not None else TokenStore()
        self.persist_token = token is None
        self.api = ApiClient(self.server, token or self.tokens.get(self.server))
        self.user: wire.User | None = None
        self.live: LiveClient | None = None
        self.live_enabled = live
        self.connection: tuple[ConnectionState, int] = ("connecting" if live else "offline", 0)
        self._keymap, self._keymap_problems = (keymap, []) if keymap is not None else load_keymap()
        self.worker_errors: list[BaseException] = []
        self._shown: dict[tuple[str, str, str], float] = {}  # notice -> when its toast expires
        # Toasts go in seconds: the last ones stay readable (palette: "Recent notices").
        self.notices: deque[str] = deque(maxlen=NOTICES_KEPT)
        self.closing = False  # exit() was asked for: late replies and frames are dropped
        # Every live frame batch, to the screens that subscribed (called at once, in order).
        self.frames: Signal[list[wire.ServerFrame]] = Signal(self, "frames")

    async def on_mount(self) -> None:
        self.set_keymap(self._keymap)
        problems = list(self._keymap_problems)
        if self._keymap and (unknown := sorted(set(self._keymap) - known_ids())):
            names = ", ".join(f'"{u}"' for u in unknown)
            problems.append(f"keys.toml names no such key id: {names} (? lists the ids).")
        if problems:
            self.notify("\n".join(problems), title="Your keys", severity="warning", timeout=20)
        if self.api.token:
            self.resume()
        else:
            self.show_login()

    async def on_unmount(self) -> None:
        await self.api.aclose()

    def show_login(self, message: str = "") -> None:
        from tui.screens.login import LoginScreen

        self.switch_or_push(LoginScreen(message))

    def switch_or_push(self, screen: Any) -> None:
        """Replace the whole stack with `screen` (login ↔ projects are roots)."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    @work(exclusive=True, group="session")
    async def resume(self) -> None:
        """Reuse a kept (or given) token; a rejected one goes back to the login screen.

        The project list is asked for alongside `me` (one round trip less before it shows)."""
        projects = asyncio.ensure_future(self.api.projects())
        projects.add_done_callback(_retrieved)
        try:
            user = await self.api.me()
        except ApiError as exc:
            projects.cancel()
            if exc.status == 401:
                if self.persist_token:
                    self.tokens.forget(self.server)
                self.api.token = None
                self.show_login("Your session has expired or the token was rejected: log in again.")
            else:
                self.show_login(f"The server refused: {exc.detail}")
            return
        except Unreachable:
            projects.cancel()
            self.show_login()  # it says so, and resumes when the server answers
            return
        self.start_session(user, projects)

    def start_session(
        self, user: wire.User, projects: asyncio.Future[list[wire.Project]] | None = None
    ) -> None:
        """`projects`: the project list already asked for, which the projects screen shows."""
        from tui.screens.projects import ProjectsScreen

        self.user = user
        self.sub_title = f"@{user.username} · {self.server}"
        if self.persist_token and self.api.token:
            self.tokens.save(self.server, self.api.token, user.username)
        if self.live_enabled and self.live is None and self.api.token:
            self.live = LiveClient(self, self.api.ws_url, self.api.token)
            self.run_worker(self.live.run(), name="live", group="live", exclusive=True)
        self.refresh_unread()
        self.switch_or_push(ProjectsScreen(projects))

    def logout(self, message: str = "Logged out.") -> None:
        if self.persist_token:
            self.tokens.forget(self.server)
        self.workers.cancel_group(self, "live")
        self.live = None
        self.api.token = None
        self.user = None
        self.unread = None
        self.sub_title = ""
        if not self.persist_token:
            # A handed-in token (the SSH front door) is this session's identity: logging out
            # ends the session rather than offering to log in as someone else.
            self.exit(message=message)
            return
        self.show_login(message)

    # --- live routing ----------------------------------------------------------------------

    def subscribe(self, room: str) -> None:
        if self.live is not None:
            self.live.subscribe(room)

    def unsubscribe(self, room: str) -> None:
        if self.live is not None:
            self.live.unsubscribe(room)

    def on_live_frames(self, message: LiveFrames) -> None:
        if not self.is_running or self.closing:
            return  # frames that arrive while the app shuts down
        for frame in message.frames:
            if isinstance(frame, wire.NotificationFrame):
                self.unread = frame.unread
                self.notify(f"{describe(frame.data)} · i opens your inbox", title="Inbox")
            elif isinstance(frame, wire.UnreadFrame):
                self.unread = frame.count
        self.frames.publish(message.frames)

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        if message.state == "live" and self.connection[0] == "reconnecting":
            self.caught_up()
        self.connection = (message.state, message.attempt)
        for screen in self.screen_stack:
            for indicator in screen.query(ConnectionIndicator):
                indicator.state, indicator.attempt = self.connection
        if message.reason:
            self.notify(message.reason, severity="warning", timeout=8)

    def caught_up(self) -> None:
        """Back after a gap: what the user-wide frames said meanwhile, read again (a board
        resumes its room with `since` by itself)."""
        from tui.screens.projects import ProjectsScreen

        self.refresh_unread()
        for screen in self.screen_stack:
            if isinstance(screen, ProjectsScreen):
                screen.load(quiet=True)

    # --- the inbox -----------------------------------------------------------------------

    @work(exclusive=True, group="unread", exit_on_error=False)
    async def refresh_unread(self) -> None:
        try:
            page = await self.api.notifications(limit=1)
        except (ApiError, Unreachable) as exc:
            if isinstance(exc, ApiError) and exc.status == 401:
                self.report(exc, "read your inbox")
            return  # the count stays as it was: the next frame or reconnect corrects it
        self.unread = page.unread

    @work(group="mark-read", exit_on_error=False)
    async def mark_read(self, ids: list[uuid.UUID] | None) -> None:
        """`ids` (or, None, every notification) read; the count follows from the server."""
        try:
            await self.api.mark_read(ids)
        except (ApiError, Unreachable) as exc:
            self.report(exc, "mark it read")
            return
        self.refresh_unread()  # the socket says so too; this covers a session without one

    def action_inbox(self) -> None:
        from tui.screens.inbox import InboxScreen

        if self.user is not None and not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen())

    def open_task(self, project: wire.ProjectRef, task_id: uuid.UUID | None) -> None:
        """The task on its project's board: the open board when it is that project, else a
        new one in its place (what was above the board or the projects screen closes)."""
        from tui.screens.board import BoardScreen
        from tui.screens.projects import ProjectsScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, BoardScreen):
            self.pop_screen()
        board = self.screen
        if isinstance(board, BoardScreen):
            if board.project_id == project.id:
                board.open_task(task_id)
                return
            self.pop_screen()
        if isinstance(self.screen, ProjectsScreen):
            self.push_screen(BoardScreen(project.id, project.name, task_id=task_id))

    # --- shared helpers --------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A notice already on screen is not stacked again (a retry loop says it once)."""
        now = time.monotonic()
        key = (message, title, severity)
        if self._shown.get(key, 0.0) > now:
            return
        timeout = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        self._shown = {k: t for k, t in self._shown.items() if t > now}
        self._shown[key] = now + timeout
        self.notices.append(message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Screens run I/O in workers that do not exit the app on error: say so instead."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.worker_errors.append(event.worker.error)
            self.log.error(event.worker.error)
            self.notify(f"Something went wrong: {event.worker.error!r}", severity="error")

    def report(self, exc: Exception, doing: str) -> None:
        """One clear notice for a failed call; a rejected token ends the session."""
        if isinstance(exc, ApiError) and exc.status == 401:
            self.logout("The server rejected your token: log in again.")
            return
        reason = exc.detail if isinstance(exc, ApiError) else str(exc)
        self.notify(f"Could not {doing}: {reason}", severity="error", timeout=6)

    def action_ssh_keys(self) -> None:
        from tui.screens.ssh_keys import SshKeysScreen

        if self.user is not None and not isinstance(self.screen, SshKeysScreen):
            self.push_screen(SshKeysScreen())

    def action_tokens(self) -> None:
        from tui.screens.tokens import TokensScreen

        if self.user is not None and not isinstance(self.screen, TokensScreen):
            self.push_screen(TokensScreen())

    def action_notices(self) -> None:
        from tui.screens.notices import NoticesScreen

        if not isinstance(self.screen, NoticesScreen):
            self.push_screen(NoticesScreen())

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        self.closing = True
        super().exit(result, return_code, message)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))


def _retrieved(future: asyncio.Future[Any]) -> None:
    """A request given up on (the login failed) may fail unseen: asyncio must not report it."""
    if not future.cancelled():
        future.exception()
