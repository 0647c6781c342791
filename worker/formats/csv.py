"""CSV: RFC 4180 (CRLF, quotes doubled), UTF-8, a header row, formula cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from worker.formats.rows import (
    CREATED_AT,
    CREATED_BY,
    DESCRIPTION,
    ID,
    STATUS,
    TASK_FIELDS,
    TITLE,
    UPDATED_AT,
    UPDATED_BY,
)

COLUMNS = tuple(f for f in TASK_FIELDS if f != "project_id")
# A spreadsheet runs a cell beginning with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@")


def neutralise(value: Any) -> Any:
    """A formula-looking string gets a leading quote so it stays text; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


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
        # Only the free-text fields can begin with a formula character; ids, enums,
        # dates and numbers go through as they are (the csv module writes None as "").
        self._csv.writerows(
            (
                r[ID],
                neutralise(r[TITLE]),
                neutralise(r[DESCRIPTION]),
                *r[STATUS:CREATED_AT],
                _iso(r[CREATED_AT]),
                _iso(r[UPDATED_AT]),
                r[CREATED_BY],
                r[UPDATED_BY],
            )
            for r in batch
        )
        return self._take()

    def end(self) -> str:
        return ""
