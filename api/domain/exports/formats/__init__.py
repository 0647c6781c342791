"""Row writers, one module per export format: they turn rows into text and do nothing else.

A writer is given the project once, then batches of task rows, then asked for the closing
text; it answers with UTF-8 bytes. A task row is a sequence of the wire `Task` fields in
`TASK_FIELDS` order, ordered by status then position, as cells (`reader.py`): ids,
dates and times already their ISO 8601 text, numbers as numbers, NULL as None. The export
task owns files, hashing and progress, so a format can never leave a partial file behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from api.domain.exports.formats import csv, json, markdown
from api.domain.exports.formats.rows import TASK_FIELDS
from api.wire import Task

Row = Sequence[Any]


class RowWriter(Protocol):
    # True: each row ends with two more cells, the task's labels and checklist as JSON text.
    extras: bool

    def start(self, project: Mapping[str, Any]) -> bytes: ...

    def rows(self, batch: Sequence[Row]) -> bytes: ...

    def end(self) -> bytes: ...


# The task's own fields lead the wire struct; what follows them (`comment_count`, contract §8)
# is about the conversation around a task, not the task, and is not exported.
assert Task.__struct_fields__[: len(TASK_FIELDS)] == TASK_FIELDS, (
    "row writers index tasks by the wire field order"
)

WRITERS: dict[str, type[RowWriter]] = {
    "csv": csv.CsvWriter,
    "json": json.JsonWriter,
    "markdown": markdown.MarkdownWriter,
}
EXTENSIONS = {"csv": "csv", "json": "json", "markdown": "md"}
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "markdown": "text/markdown"}
