"""Saved view rows to wire structs."""

from __future__ import annotations

import msgspec

from api.db.models import SavedView
from api.wire import SavedView as SavedViewOut


def view_out(row: SavedView) -> SavedViewOut:
    return msgspec.convert(row, SavedViewOut, from_attributes=True)
