"""JSON: `{"project": {...}, "tasks": [...]}`, written a task at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode


class JsonWriter:
    def __init__(self) -> None:
        self._separator = ""

    def start(self, project: Mapping[str, Any]) -> str:
        return '{"project":' + _encode(dict(project)).decode() + ',"tasks":['

    def row(self, task: Mapping[str, Any]) -> str:
        text = self._separator + _encode(dict(task)).decode()
        self._separator = ","
        return text

    def end(self) -> str:
        return "]}\n"
