"""Label rows to wire structs."""

from __future__ import annotations

import msgspec

from api.db.models import Label
from api.wire import Label as LabelOut


def label_out(label: Label) -> LabelOut:
    return msgspec.convert(label, LabelOut, from_attributes=True)


def name_key(name: str) -> str:
    """What makes two names the same label: case folded in Python, alike on every backend."""
    return name.casefold()
