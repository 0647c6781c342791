"""CSV: a Taskroom CSV export, or any CSV with a `title` column (headers case-insensitive).

Encoding: UTF-8, with or without a byte order mark; a file that is not valid UTF-8 is
read as Latin-1 (every byte is a character there) and said so in the warnings. A cell the
CSV export neutralised (`'=…`) gets its text back; a formula cell is text, never evaluated,
and is neutralised again by the next export. Line numbers are where a record starts (the
header is line 1), also when a quoted cell spans lines.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import Any

from api.domain.exports.formats.csv import FORMULA_PREFIXES
from api.domain.imports.entries import BadFile, Entry, Notes, Source

CHUNK = 1 << 20
TEXT = ("title", "description")
COLUMNS = {
    "title": "title",
    "description": "description",
    "status": "status",
    "priority": "priority",
    "due_date": "due_date",
    "due": "due_date",
    "due date": "due_date",
    "position": "position",
    "assignee_id": "assignee_id",
}
# The rest of a CSV export's columns: this server's own bookkeeping, quietly left out.
EXPORT_ONLY = {"id", "version", "created_at", "updated_at", "created_by", "updated_by"}
STATUS_NAMES = {"to do": "todo", "doing": "in_progress", "in progress": "in_progress"}


def _is_utf8(source: Source) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with source.open() as fh:
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def unneutralise(value: str) -> str:
    """`'=1+1` (as the export writes `=1+1`) back to `=1+1`; anything else as it is."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _cell(name: str, value: str) -> Any:
    if name in TEXT:
        return unneutralise(value)
    value = value.strip()
    if not value:
        return None
    if name == "status":
        lowered = value.lower()
        return STATUS_NAMES.get(lowered, lowered)
    if name == "priority":
        return value.lower()
    return value


def parse(source: Source, notes: Notes) -> Iterator[Entry]:
    encoding = "utf-8"
    if not _is_utf8(source):
        encoding = "latin-1"
        notes.warn("the file is not UTF-8: read as Latin-1")
    with source.open() as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise BadFile("the file is empty") from None
        except csv.Error as exc:
            raise BadFile(f"not CSV: {exc}") from None
        names = [h.strip().lower() for h in header]
        if "title" not in names:
            raise BadFile("no `title` column in the header (line 1)")
        for name in names:
            if name not in COLUMNS and name not in EXPORT_ONLY:
                notes.warn(f"column {name!r} is not imported")
        picked = [(i, COLUMNS[n]) for i, n in enumerate(names) if n in COLUMNS]
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Entry(line, {}, f"not CSV: {exc}")
                return
            if not any(c.strip() for c in cells):
                notes.skipped += 1  # a blank line
                continue
            if len(cells) > len(names):
                yield Entry(line, {}, f"{len(cells)} cells, the header has {len(names)}")
                continue
            cells += [""] * (len(names) - len(cells))
            fields = {name: _cell(name, cells[i]) for i, name in picked}
            yield Entry(line, {k: v for k, v in fields.items() if v is not None})
