"""The detail pane beside the board (`P`): the selected task whole, its description as
markdown, then its comments or its history (`t` switches between the two tabs).

Text reaches it already made safe by `tui.text` (the store holds only cleaned tasks), and
the header is Rich `Text`, never markup, so a title cannot style or drive anything.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import ContentSwitcher, Markdown, Static

from api import wire
from tui.client.store import STATUS_TITLES
from tui.widgets.task_card import due_label

NO_DESCRIPTION = "*No description.* Press `E` to write one in your editor."
TABS = {"detail-comments": "Comments", "detail-history": "History"}
CHANGE_CHARS = 40  # a changed value longer than this is cut with "…"


def _value(value: object) -> str:
    text = "none" if value is None or value == "" else str(value)
    return text if len(text) <= CHANGE_CHARS else text[: CHANGE_CHARS - 1] + "…"


class TaskDetail(VerticalScroll, can_focus=False):
    """Shows one task, or says that none is selected."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[object, ...] | None = None  # what is drawn, so a redraw is free

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-head")
        yield Markdown("", id="detail-body")
        yield Static("", id="detail-tabs")
        with ContentSwitcher(initial="detail-comments"):
            yield Static("", id="detail-comments")
            yield Static("", id="detail-history")

    def on_mount(self) -> None:
        self._show_tabs()

    @property
    def tab(self) -> str:
        """The shown tab: "detail-comments" or "detail-history"."""
        return self.query_one(ContentSwitcher).current or "detail-comments"

    def switch_tab(self) -> str:
        names = list(TABS)
        switcher = self.query_one(ContentSwitcher)
        switcher.current = names[(names.index(self.tab) + 1) % len(names)]
        self._show_tabs()
        return self.tab

    def _show_tabs(self) -> None:
        """The tab names as one line, the shown one marked (brackets, so also without colour)."""
        line = Text()
        for widget_id, name in TABS.items():
            if widget_id == self.tab:
                line.append(f"[{name}]", style="bold reverse")
            else:
                line.append(f" {name} ", style="dim")
            line.append(" ")
        line.append(" t switches", style="dim")
        self.query_one("#detail-tabs", Static).update(line)

    def show_history(self, items: list[wire.ActivityItem] | None) -> None:
        """The task's history, newest first (None: not loaded yet)."""
        text = Text()
        if items is None:
            text.append("History: loading…", style="dim")
        elif not items:
            text.append("No history yet.", style="dim")
        for item in items or []:
            who = f"@{item.actor.username}" if item.actor else "(gone)"
            text.append(f"{who} · {item.at:%Y-%m-%d %H:%M}\n", "dim")
            text.append(f"{item.summary}\n")
            for field, change in item.changes.items():
                if len(change) == 2:
                    old, new = change
                    text.append(f"  {field}: {_value(old)} → {_value(new)}\n", "dim")
            text.append("\n")
        self.query_one("#detail-history", Static).update(text)

    def show_comments(self, comments: list[wire.Comment] | None) -> None:
        """The task's comments, oldest first (None: not loaded yet)."""
        text = Text()
        if comments is None:
            text.append("Comments: loading…", style="dim")
        else:
            text.append(f"Comments ({len(comments)})", style="bold")
            text.append("  c to add one\n", style="dim")
            for comment in comments:
                who = f"@{comment.author.username}" if comment.author else "(gone)"
                edited = " · edited" if comment.edited else ""
                text.append(f"\n{who} · {comment.created_at:%Y-%m-%d %H:%M}{edited}\n", "dim")
                text.append(comment.body + "\n")
        self.query_one("#detail-comments", Static).update(text)

    def show(self, task: wire.Task | None, assignee: str = "") -> None:
        key = None if task is None else (task.id, task.version, assignee)
        if key == self.shown:
            return
        if task is None or self.shown is None or self.shown[0] != task.id:
            self.show_comments(None)
            self.show_history(None)
        self.shown = key
        head = self.query_one("#detail-head", Static)
        body = self.query_one("#detail-body", Markdown)
        if task is None:
            head.update(Text("No task selected.", style="italic"))
            body.update("")
            self.query_one("#detail-comments", Static).update("")
            self.query_one("#detail-history", Static).update("")
            return
        text = Text(task.title, style="bold")
        meta = [STATUS_TITLES[task.status], task.priority]
        if assignee:
            meta.append(f"@{assignee}")
        if task.due_date:
            meta.append(due_label(task.due_date))
        text.append("\n" + " · ".join(meta), style="dim")
        head.update(text)
        body.update(task.description or NO_DESCRIPTION)
        self.scroll_home(animate=False)
