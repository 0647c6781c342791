"""JSON: `{"project": {...}, "tasks": [...]}`, written a batch of tasks at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from api.domain.exports.formats.rows import TASK_FIELDS

_encode = msgspec.json.Encoder().encode
# A struct encodes as an object with its fields in order, cheaper to build than a dict.
_TaskCells = msgspec.defstruct("TaskCells", TASK_FIELDS)


class JsonWriter:
    def __init__(self) -> None:
        self._separator = b""

    def start(self, project: Mapping[str, Any]) -> bytes:
        return b'{"project":' + _encode(dict(project)) + b',"tasks":['

    def rows(self, batch: Sequence[Sequence[Any]]) -> bytes:
        if not batch:
            return b""
        items = _encode([_TaskCells(*row) for row in batch])
        text = self._separator + items[1:-1]  # the array's items, brackets dropped
        self._separator = b","
        return text

    def end(self) -> bytes:
        return b"]}\n"
