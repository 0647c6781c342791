"""CSV: RFC 4180 (CRLF, quotes doubled), UTF-8, a header row, formula cells neutralised.

Lines are put together here rather than by the csv module, whose writer cost about 4 us a
row (most of a 100 000-task export). Only the free-text fields can hold a comma, a quote or
a line break, so only they are quoted, by the csv module's own rule (QUOTE_MINIMAL); ids,
enums, dates, times and numbers never need it. `tests/test_export_reader.py` holds the
writer to the csv module's output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from api.domain.exports.formats.rows import (
    ASSIGNEE_ID,
    CREATED_AT,
    CREATED_BY,
    DESCRIPTION,
    DUE_DATE,
    ID,
    POSITION,
    PRIORITY,
    STATUS,
    TASK_FIELDS,
    TITLE,
    UPDATED_AT,
    UPDATED_BY,
    VERSION,
)

COLUMNS = tuple(f for f in TASK_FIELDS if f != "project_id")
# A spreadsheet runs a cell beginning with one of these as a formula (CSV injection); a
# leading TAB or CR is skipped by some, so "\t=cmd" is one too (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def neutralise(value: Any) -> Any:
    """A formula-looking string gets a leading quote so it stays text; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _text(value: str) -> str:
    """A free-text cell: neutralised, then quoted if it holds a comma, quote or line break."""
    value = neutralise(value)
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _line(t: Sequence[Any]) -> str:
    """One task, in COLUMNS order; a None cell is empty, a float is written as str() does."""
    return (
        f"{t[ID]},{_text(t[TITLE])},{_text(t[DESCRIPTION])},{t[STATUS]},{t[PRIORITY]},"
        f"{t[ASSIGNEE_ID] or ''},{t[DUE_DATE] or ''},{t[POSITION]},{t[VERSION]},"
        f"{t[CREATED_AT]},{t[UPDATED_AT]},{t[CREATED_BY] or ''},{t[UPDATED_BY] or ''}\r\n"
    )


class CsvWriter:
    extras = False

    def start(self, project: Mapping[str, Any]) -> bytes:
        return (",".join(COLUMNS) + "\r\n").encode()

    def rows(self, batch: Sequence[Sequence[Any]]) -> bytes:
        return "".join(map(_line, batch)).encode()

    def end(self) -> bytes:
        return b""
