"""What parsers hand the import: numbered rows of task fields, skips, warnings, bad files.

Every parser reads its file as a stream through `Source`, which counts the bytes read, so
the import can say how far it is without knowing how many rows there are.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class Entry:
    """One row of the file: its number (contract §10's `row`) and the task fields it holds,
    or why the row cannot be read at all."""

    row: int
    fields: dict[str, Any]
    error: str | None = None


class BadFile(Exception):
    """The file as a whole is not what it claims (not JSON, no `title` column, …)."""


@dataclass
class Notes:
    """What a parser leaves out on purpose, and what it tells the user about."""

    skipped: int = 0
    # The file's own list of labels ({name, color}), created even where no task has them.
    labels: list[dict[str, Any]] = field(default_factory=list)
    _warnings: dict[str, None] = field(default_factory=dict)

    def warn(self, text: str) -> None:
        self._warnings[text] = None  # each once, in the order first seen

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)


class _Counting(io.RawIOBase):
    def __init__(self, fh: BinaryIO, source: Source) -> None:
        self.fh, self.source = fh, source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.fh.readinto(buffer)  # type: ignore[attr-defined]
        self.source.done += n
        return int(n)

    def close(self) -> None:
        self.fh.close()
        super().close()


@dataclass
class Source:
    """The uploaded file; `progress` is the share of it read by the latest `open()`."""

    path: Path
    done: int = 0

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def open(self) -> BinaryIO:
        """The bytes, a UTF-8 byte order mark left out."""
        self.done = 0
        raw = io.BufferedReader(_Counting(self.path.open("rb", buffering=0), self), 1 << 16)
        if raw.peek(3)[:3] == BOM:
            raw.read(3)
        return raw

    def progress(self) -> float:
        return min(self.done / max(self.size, 1), 1.0)


Parser = Callable[[Source, Notes], Iterator[Entry]]
