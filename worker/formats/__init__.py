"""Row writers, one module per export format: they turn rows into text and do nothing else.

A writer is given the project once, then each task row (a mapping with the wire `Task`
fields, ordered by status then position), then asked for the closing text. The export
task owns files, hashing and progress, so a format cannot leave a partial file behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from worker.formats import csv, json, markdown

Row = Mapping[str, Any]


class RowWriter(Protocol):
    def start(self, project: Row) -> str: ...

    def row(self, task: Row) -> str: ...

    def end(self) -> str: ...


WRITERS: dict[str, type[RowWriter]] = {
    "csv": csv.CsvWriter,
    "json": json.JsonWriter,
    "markdown": markdown.MarkdownWriter,
}
EXTENSIONS = {"csv": "csv", "json": "json", "markdown": "md"}
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "markdown": "text/markdown"}
