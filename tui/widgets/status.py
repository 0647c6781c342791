"""The top bar: screen title, who is here (presence), the unread count and whether the live
connection is up."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from tui.client.live import ConnectionState


class ConnectionIndicator(Static):
    """`● live`, `◌ reconnecting 3`, `○ offline`: one glance tells how fresh the board is."""

    # `width: auto`: a new text needs a new layout, or "● live" stays the width of the old one
    state: reactive[ConnectionState] = reactive("connecting", layout=True)
    attempt: reactive[int] = reactive(0, layout=True)

    def render(self) -> str:
        self.set_classes(f"-{self.state}")
        if self.state == "reconnecting":
            return f"◌ reconnecting {self.attempt}"
        return {"connecting": "◌ connecting", "live": "● live", "offline": "○ offline"}[self.state]


class PresenceBar(Static):
    """The members currently looking at this project."""

    users: reactive[tuple[str, ...]] = reactive((), layout=True)

    def render(self) -> str:
        return ("here: " + " ".join(f"@{u}" for u in self.users)) if self.users else ""


class UnreadBadge(Static):
    """`✉ 3`: the user's unread notifications, following the app's count live (`i` opens them);
    nothing at zero or before the count is known."""

    def on_mount(self) -> None:
        self.watch(self.app, "unread", self.show, init=True)

    def show(self, count: int | None) -> None:
        self.update(f"✉ {count}" if count else "")
        self.display = bool(count)


class TopBar(Horizontal):
    """One line: title on the left, presence, unread count and connection on the right."""

    def __init__(self, title: str, *, presence: bool = False, inbox: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.presence = presence
        self.inbox = inbox

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="topbar-title", markup=False)
        if self.presence:
            yield PresenceBar()
        if self.inbox:
            yield UnreadBadge(markup=False)
        indicator = ConnectionIndicator()
        indicator.state, indicator.attempt = getattr(self.app, "connection", ("offline", 0))
        yield indicator

    def set_title(self, title: str) -> None:
        self.query_one("#topbar-title", Static).update(title)
