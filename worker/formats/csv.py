"""CSV: RFC 4180 (CRLF, quotes doubled), UTF-8, a header row, formula cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

COLUMNS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "assignee_id",
    "due_date",
    "position",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
)
# A spreadsheet runs a cell beginning with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@")


def neutralise(value: Any) -> str:
    """The cell text; a formula-looking string gets a leading quote so it stays text."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, str) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


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

    def row(self, task: Mapping[str, Any]) -> str:
        self._csv.writerow([neutralise(task[c]) for c in COLUMNS])
        return self._take()

    def end(self) -> str:
        return ""
