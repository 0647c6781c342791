"""How one task is drawn: a fixed three-line card, so a column of 5 000 is pure arithmetic.

Both lines are fitted to the column's width here: a long title ends in "…" and gives way to
the `✎ alice` marker, which is never cut.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import get_args

from rich.style import Style
from rich.text import Text

from api import wire

CARD_HEIGHT = 3  # title, meta line, gap
PRIORITY_MARK = {"urgent": "!!", "high": "! ", "medium": "· ", "low": "  "}
MARK = "▌"  # a marked card's left edge, on both lines: seen without colour too (NO_COLOR)
MIN_TITLE = 6  # cells of the title that a long typing marker leaves
PRIORITY_LABEL = {"urgent": "urgent", "high": "high", "medium": "med", "low": "low"}
# The component classes that colour label chips, for every widget that draws them.
LABEL_CHIPS = frozenset(f"task-card--label-{color}" for color in get_args(wire.LabelColor))


def due_label(due: dt.date | None, today: dt.date | None = None) -> str:
    """`due 12-02` within the current year, the full date otherwise."""
    if due is None:
        return ""
    return f"due {due:%m-%d}" if today and due.year == today.year else f"due {due.isoformat()}"


def due_state(task: wire.Task, today: dt.date) -> str:
    """ "overdue", "today" or "" (later, done or none): the class that highlights its date."""
    if task.due_date is None or task.status == "done" or task.due_date > today:
        return ""
    return "today" if task.due_date == today else "overdue"


DUE_STYLE = {"": "task-card--due", "today": "task-card--due-today", "overdue": "task-card--overdue"}


# Marks that say it without colour too (NO_COLOR): "!due 03-01", "due today!"
def due_text(task: wire.Task, today: dt.date) -> str:
    state = due_state(task, today)
    if state == "today":
        return "due today!"
    return ("!" if state else "") + due_label(task.due_date, today)


def checklist_progress(task: wire.Task) -> str:
    """`3/7`: the checklist's done items of all; empty without one."""
    items = task.checklist
    return f"{sum(item.done for item in items)}/{len(items)}" if items else ""


def label_chips(labels: Sequence[wire.Label], style: Callable[[str], Style]) -> Text:
    """`#bug #ui`: each chip in its label's colour, reading the same without colour (NO_COLOR)."""
    chips = Text(no_wrap=True, overflow="ellipsis", end="")
    for label in labels:
        if chips:
            chips.append(" ")
        chips.append(f"#{label.name}", style(f"task-card--label-{label.color}"))
    return chips


def card_lines(
    task: wire.Task,
    assignee: str,
    typing: str,
    style: Callable[[str], Style],
    today: dt.date,
    width: int,
    labels: Sequence[wire.Label] = (),
    marked: bool = False,
) -> tuple[Text, Text]:
    """The title and meta lines of a card, each at most `width` cells; `style` maps a
    component name to a Rich style. Labels are chips in their colour that read `#name`
    without colour too (NO_COLOR); the meta line ends in "…" where they do not fit. A marked
    card starts with `▌` on both lines."""
    lead = MARK if marked else ""
    mark = lead + PRIORITY_MARK[task.priority]
    marker = Text(f" ✎ {typing}" if typing else "", style("task-card--typing"))
    marker.truncate(max(width - len(mark) - MIN_TITLE, 0), overflow="ellipsis")
    name = Text(task.title, style("task-card--title"))
    name.truncate(max(width - len(mark) - marker.cell_len, 0), overflow="ellipsis")
    title = Text(no_wrap=True, end="")
    title.append(lead, style("task-card--marked"))
    title.append(PRIORITY_MARK[task.priority], style(f"task-card--{task.priority}"))
    title.append_text(name)
    title.append_text(marker)
    meta = Text(no_wrap=True, overflow="ellipsis", end="")
    meta.append(lead, style("task-card--marked"))
    meta.append(" " if marked else "  ")
    meta.append(PRIORITY_LABEL[task.priority], style(f"task-card--{task.priority}"))
    if assignee:
        meta.append(f" @{assignee}", style("task-card--assignee"))
    if task.due_date:
        state = due_state(task, today)
        meta.append(f" {due_text(task, today)}", style(DUE_STYLE[state]))
    if progress := checklist_progress(task):
        meta.append(f" ☑{progress}", style("task-card--checklist"))
    if labels:
        meta.append(" ")
        meta.append_text(label_chips(labels, style))
    meta.truncate(width, overflow="ellipsis")
    return title, meta
