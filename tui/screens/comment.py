"""`c` on the board: write a comment (markdown, several lines, `@` completes a member's
name); ctrl+s sends, esc drops it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.widgets.mention_area import MentionArea


class CommentScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True, id="comment.send"),
        Binding("escape", "dismiss(None)", "Cancel", id="comment.cancel"),
    ]

    def __init__(self, title: str, usernames: Sequence[str] = ()) -> None:
        """`usernames`: the project's members, offered after `@`."""
        super().__init__()
        self.task_title = title
        self.usernames = usernames

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="comment"):
            yield Static(f"Comment on: {self.task_title}", classes="dialog-title", markup=False)
            yield MentionArea(
                id="comment-body",
                usernames=self.usernames,
                soft_wrap=True,
                show_line_numbers=False,
            )
            yield Static("", id="comment-error", classes="dialog-hint", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(MentionArea).focus()

    def action_send(self) -> None:
        body = self.query_one(MentionArea).text.strip()
        if not body:
            self.query_one("#comment-error", Static).update("A comment needs some text.")
            return
        self.dismiss(body)
