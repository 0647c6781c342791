"""How one task is drawn: a fixed three-line card, so a column of 5 000 is pure arithmetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rich.style import Style
from rich.text import Text

from api import wire

CARD_HEIGHT = 3  # title, meta line, gap
PRIORITY_MARK = {"urgent": "!!", "high": "! ", "medium": "· ", "low": "  "}
PRIORITY_LABEL = {"urgent": "urgent", "high": "high", "medium": "med", "low": "low"}


def due_label(due: dt.date | None, today: dt.date | None = None) -> str:
    """`due 12-02` within the current year, the full date otherwise."""
    if due is None:
        return ""
    return f"due {due:%m-%d}" if today and due.year == today.year else f"due {due.isoformat()}"


def card_lines(
    task: wire.Task,
    assignee: str,
    typing: str,
    style: Callable[[str], Style],
    today: dt.date,
) -> tuple[Text, Text]:
    """The title and meta lines of a card; `style` maps a component name to a Rich style."""
    title = Text(no_wrap=True, overflow="ellipsis", end="")
    title.append(PRIORITY_MARK[task.priority], style(f"task-card--{task.priority}"))
    title.append(task.title, style("task-card--title"))
    if typing:
        title.append(f" ✎ {typing}", style("task-card--typing"))
    meta = Text(no_wrap=True, overflow="ellipsis", end="")
    meta.append("  ")
    meta.append(PRIORITY_LABEL[task.priority], style(f"task-card--{task.priority}"))
    if assignee:
        meta.append(f" @{assignee}", style("task-card--assignee"))
    if task.due_date:
        overdue = task.due_date < today and task.status != "done"
        meta.append(
            f" {due_label(task.due_date, today)}",
            style("task-card--overdue" if overdue else "task-card--due"),
        )
    return title, meta
