"""Markdown: a readable report, one section per status, one bullet per task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HEADINGS = {"todo": "To do", "in_progress": "In progress", "done": "Done"}


def _inline(text: str) -> str:
    """One line of text that cannot open Markdown structure of its own."""
    escaped = " ".join(text.split())
    for ch in "\\`*_[]<>#|":
        escaped = escaped.replace(ch, "\\" + ch)
    return escaped


class MarkdownWriter:
    def __init__(self) -> None:
        self._status: str | None = None

    def start(self, project: Mapping[str, Any]) -> str:
        head = f"# {_inline(project['name'])}\n\n"
        if project.get("description"):
            head += f"{_inline(project['description'])}\n\n"
        return head

    def row(self, task: Mapping[str, Any]) -> str:
        text = ""
        if task["status"] != self._status:
            text = "\n" if self._status is not None else ""
            self._status = task["status"]
            text += f"## {HEADINGS.get(task['status'], task['status'])}\n\n"
        details = [task["priority"]]
        if task["due_date"] is not None:
            details.append(f"due {task['due_date'].isoformat()}")
        text += f"- **{_inline(task['title'])}** ({', '.join(details)})\n"
        if task["description"]:
            text += f"  {_inline(task['description'])}\n"
        return text

    def end(self) -> str:
        return ""
