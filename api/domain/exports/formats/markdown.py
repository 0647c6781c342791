"""Markdown: a readable report, one section per status, one bullet per task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.domain.exports.formats.rows import DESCRIPTION, DUE_DATE, PRIORITY, STATUS, TITLE

HEADINGS = {"todo": "To do", "in_progress": "In progress", "done": "Done"}


def _inline(text: str) -> str:
    """One line of text that cannot open Markdown structure of its own."""
    escaped = " ".join(text.split())
    for ch in "\\`*_[]<>#|":
        escaped = escaped.replace(ch, "\\" + ch)
    return escaped


class MarkdownWriter:
    extras = False

    def __init__(self) -> None:
        self._status: str | None = None

    def start(self, project: Mapping[str, Any]) -> bytes:
        head = f"# {_inline(project['name'])}\n\n"
        if project.get("description"):
            head += f"{_inline(project['description'])}\n\n"
        return head.encode()

    def rows(self, batch: Sequence[Sequence[Any]]) -> bytes:
        return "".join(self._row(task) for task in batch).encode()

    def _row(self, task: Sequence[Any]) -> str:
        text = ""
        if task[STATUS] != self._status:
            text = "\n" if self._status is not None else ""
            self._status = task[STATUS]
            text += f"## {HEADINGS.get(task[STATUS], task[STATUS])}\n\n"
        details = [task[PRIORITY]]
        if task[DUE_DATE] is not None:
            details.append(f"due {task[DUE_DATE]}")
        text += f"- **{_inline(task[TITLE])}** ({', '.join(details)})\n"
        if task[DESCRIPTION]:
            text += f"  {_inline(task[DESCRIPTION])}\n"
        return text

    def end(self) -> bytes:
        return b""
