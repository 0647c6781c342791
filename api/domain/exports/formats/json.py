"""JSON: `{"project": {...}, "tasks": [...]}`, written a batch of tasks at a time.

The format other tools (and `taskroom import`) read: `project` is `{id, name, description,
owner_id, labels: [{name, color}]}`; each task has the wire `Task` fields of `TASK_FIELDS`, then
`labels` (its labels' names, by name: names are unique per project, ignoring case, so they
stand for the label across projects) and `checklist` (`[{text, done}]`, in order). Rows come
with the last two as JSON text (`reader.batches(extras=True)`); they are re-encoded here, so the
file is byte for byte the same from either database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from api.domain.exports.formats.rows import TASK_FIELDS

_encode = msgspec.json.Encoder().encode
# A struct encodes as an object with its fields in order, cheaper to build than a dict.
_TaskCells = msgspec.defstruct("TaskCells", [*TASK_FIELDS, "labels", "checklist"])
_FIELDS = len(TASK_FIELDS)
_EMPTY = msgspec.Raw(b"[]")


def _json(text: str | None) -> msgspec.Raw:
    """The database's JSON text in msgspec's spelling (PostgreSQL's has spaces)."""
    if not text or text == "[]":
        return _EMPTY
    return msgspec.Raw(_encode(msgspec.json.decode(text)))


class JsonWriter:
    extras = True  # rows end with the labels' and the checklist's JSON text

    def __init__(self) -> None:
        self._separator = b""

    def start(self, project: Mapping[str, Any]) -> bytes:
        return b'{"project":' + _encode(dict(project)) + b',"tasks":['

    def rows(self, batch: Sequence[Sequence[Any]]) -> bytes:
        if not batch:
            return b""
        items = _encode(
            [
                _TaskCells(*row[:_FIELDS], _json(row[_FIELDS]), _json(row[_FIELDS + 1]))
                for row in batch
            ]
        )
        text = self._separator + items[1:-1]  # the array's items, brackets dropped
        self._separator = b","
        return text

    def end(self) -> bytes:
        return b"]}\n"
