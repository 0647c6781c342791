"""`c` on the board: write a comment (markdown, several lines); ctrl+s sends, esc drops it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea


class CommentScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True, id="comment.send"),
        Binding("escape", "dismiss(None)", "Cancel", id="comment.cancel"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.task_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="comment"):
            yield Static(f"Comment on: {self.task_title}", classes="dialog-title", markup=False)
            yield TextArea(id="comment-body", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="comment-error", classes="dialog-hint", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_send(self) -> None:
        body = self.query_one(TextArea).text.strip()
        if not body:
            self.query_one("#comment-error", Static).update("A comment needs some text.")
            return
        self.dismiss(body)
