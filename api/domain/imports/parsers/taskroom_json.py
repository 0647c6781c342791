"""Taskroom's own JSON export, `{"project": {...}, "tasks": [...]}`, read task by task (ijson).

The export's bookkeeping (ids, versions, times, authors) stays behind: the tasks are new
in the project they are imported into.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ijson

from api.domain.imports.entries import BadFile, Entry, Notes, Source

FIELDS = {
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "position",
    "assignee_id",
    "labels",
    "checklist",
}
EXPORT_ONLY = {
    "id",
    "project_id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "comment_count",
}


def _top_keys(source: Source) -> set[str]:
    with source.open() as fh:
        return {
            key for prefix, event, key in ijson.parse(fh) if prefix == "" and event == "map_key"
        }


def _project_labels(source: Source) -> list[dict[str, Any]]:
    with source.open() as fh:
        return [
            label for label in ijson.items(fh, "project.labels.item") if isinstance(label, dict)
        ]


def _named(labels: Any, colors: dict[str, Any]) -> Any:
    """A task's label names with the colours the file's project gives them."""
    if not isinstance(labels, list):
        return labels
    return [
        {"name": name, "color": colors.get(name.casefold(), "gray")}
        if isinstance(name, str)
        else name
        for name in labels
    ]


def parse(source: Source, notes: Notes) -> Iterator[Entry]:
    row = 0
    try:
        notes.labels = _project_labels(source)
        colors = {str(x.get("name", "")).casefold(): x.get("color", "gray") for x in notes.labels}
        with source.open() as fh:
            for row, item in enumerate(ijson.items(fh, "tasks.item", use_float=True), 1):
                if not isinstance(item, dict):
                    yield Entry(row, {}, "a task must be a JSON object")
                    continue
                for key in item.keys() - FIELDS - EXPORT_ONLY:
                    notes.warn(f"task field {key!r} is not imported")
                fields = _fields(item)
                if "labels" in fields:
                    fields["labels"] = _named(fields["labels"], colors)
                yield Entry(row, fields)
        if row == 0 and "tasks" not in _top_keys(source):
            raise BadFile('no "tasks" list: not a Taskroom JSON export')
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise BadFile(f"not valid JSON (after task {row}): {exc}") from None


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in FIELDS and v is not None}
