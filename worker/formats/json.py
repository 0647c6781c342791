"""JSON: `{"project": {...}, "tasks": [...]}`, written a batch of tasks at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from worker.formats.rows import TASK_FIELDS

_encode = msgspec.json.Encoder().encode


class JsonWriter:
    def __init__(self) -> None:
        self._separator = ""

    def start(self, project: Mapping[str, Any]) -> str:
        return '{"project":' + _encode(dict(project)).decode() + ',"tasks":['

    def rows(self, batch: Sequence[Sequence[Any]]) -> str:
        if not batch:
            return ""
        items = _encode([dict(zip(TASK_FIELDS, row, strict=True)) for row in batch])
        text = self._separator + items[1:-1].decode()  # the array's items, brackets dropped
        self._separator = ","
        return text

    def end(self) -> str:
        return "]}\n"
