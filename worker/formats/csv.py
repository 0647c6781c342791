"""CSV: RFC 4180 (CRLF, quotes doubled), UTF-8, a header row, formula cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from worker.formats.rows import DESCRIPTION, PROJECT_ID, TASK_FIELDS, TITLE

COLUMNS = tuple(f for f in TASK_FIELDS if f != "project_id")
# A spreadsheet runs a cell beginning with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@")


def neutralise(value: Any) -> Any:
    """A formula-looking string gets a leading quote so it stays text; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class CsvWriter:
    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")

    def _take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text

    def start(self, project: Mapping[str, Any]) -> str:
        self._csv.writerow(COLUMNS)
        return self._take()

    def rows(self, batch: Sequence[Sequence[Any]]) -> str:
        # msgspec turns ids, dates and times into their JSON text in one C call (ISO 8601,
        # like the JSON export); only the free-text fields can begin with a formula.
        cells: list[list[Any]] = msgspec.to_builtins([list(row) for row in batch])
        for row in cells:
            row[TITLE] = neutralise(row[TITLE])
            row[DESCRIPTION] = neutralise(row[DESCRIPTION])
            del row[PROJECT_ID]
        self._csv.writerows(cells)
        return self._take()

    def end(self) -> str:
        return ""
