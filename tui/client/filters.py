"""The board's filter language (`/`, saved views): parsed once, matched against each task.

Free words plus `status:` `priority:` `@user` (or `assignee:`), `assignee:none`, `label:name`
(repeatable: all of them), `due:<DATE`, `due:>DATE` and `overdue`, with the server's list-filter
rules (contract §9): the due bounds are inclusive, a task without a due date matches neither,
and overdue is due before today (UTC) and not done.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from api import wire

PRIORITY_NAMES = ("urgent", "high", "medium", "low")
# Words a filter value may use besides the API names: the labels on screen, and "doing".
STATUS_WORDS = {"todo": "todo", "doing": "in_progress", "inprogress": "in_progress", "done": "done"}
PRIORITY_WORDS = {p: p for p in PRIORITY_NAMES} | {"med": "medium", "normal": "medium"}
# Column titles with a space, typed unquoted ("status:In progress"), count as one value.
SPACED_LABEL = re.compile(r"\b((?:status|s):)\s*[\"']?(to do|in progress)[\"']?", re.IGNORECASE)
NOBODY = "none"


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def is_overdue(task: wire.Task, today: dt.date) -> bool:
    return task.due_date is not None and task.due_date < today and task.status != "done"


def resolve(value: str, words: dict[str, str]) -> str | None:
    """`value` as an API name: a known word, else the one word it begins; None if none."""
    word = re.sub(r"[\s_-]", "", value.lower())
    if word in words:
        return words[word]
    found = {name for alias, name in words.items() if alias.startswith(word)}
    return found.pop() if len(found) == 1 else None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class TaskFilter:
    """A parsed filter. A value that names nothing (`status:later`, `due:<soon`) is left out
    of the filter and listed in `unknown`, so the board says so rather than going blank."""

    text: str = ""
    status: str | None = None
    priority: str | None = None
    assignee: str | None = None  # a username prefix, or NOBODY for the unassigned
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    overdue: bool = False
    labels: tuple[str, ...] = ()  # names, lower case
    unknown: tuple[str, ...] = ()

    @classmethod
    def parse(cls, query: str) -> TaskFilter:
        words: list[str] = []
        found: dict[str, Any] = {}
        unknown: list[str] = []
        labels: list[str] = []
        for token in SPACED_LABEL.sub(lambda m: m[1] + m[2].replace(" ", ""), query).split():
            key, sep, value = token.partition(":")
            key = key.lower()
            if token.startswith("@") and len(token) > 1:
                found["assignee"] = token[1:].lower()
            elif sep and value and key in ("label", "l"):
                labels.append(value.lower())
            elif token.lower() == "overdue":
                found["overdue"] = True
            elif sep and key == "due" and value[:1] in ("<", ">"):
                if (day := _date(value[1:])) is None:
                    unknown.append(f"due:{value} is not due:<YYYY-MM-DD or due:>YYYY-MM-DD")
                else:
                    found["due_before" if value[0] == "<" else "due_after"] = day
            elif sep and value and key in ("status", "s", "priority", "p", "assignee", "a"):
                name = {"s": "status", "p": "priority", "a": "assignee"}.get(key, key)
                if name == "assignee":
                    found[name] = value.lower()
                elif known := resolve(value, STATUS_WORDS if name == "status" else PRIORITY_WORDS):
                    found[name] = known
                else:
                    choices = "todo, doing, done" if name == "status" else ", ".join(PRIORITY_NAMES)
                    unknown.append(f"{name}:{value} is none of {choices}")
            else:
                words.append(token.lower())
        return cls(text=" ".join(words), labels=tuple(labels), unknown=tuple(unknown), **found)

    def __bool__(self) -> bool:
        return bool(
            self.text
            or self.status
            or self.priority
            or self.assignee
            or self.due_before
            or self.due_after
            or self.overdue
            or self.labels
        )

    def matches(
        self,
        task: wire.Task,
        assignee: str,
        today: dt.date | None = None,
        labels: Collection[str] = (),
    ) -> bool:
        """`labels`: the task's label names in lower case (needed only with `label:`)."""
        if self.status and task.status != self.status:
            return False
        if self.priority and task.priority != self.priority:
            return False
        if self.assignee == NOBODY:
            if task.assignee_id is not None:
                return False
        elif self.assignee and not assignee.lower().startswith(self.assignee):
            return False
        if self.due_before or self.due_after:
            due = task.due_date
            if due is None or (self.due_before and due > self.due_before):
                return False
            if self.due_after and due < self.due_after:
                return False
        if any(name not in labels for name in self.labels):
            return False
        if self.overdue and not is_overdue(task, today or utc_today()):
            return False
        if self.text:
            return self.text in task.title.lower() or self.text in task.description.lower()
        return True
