"""Keyset paging newest first on (at, id): what comes after a cursor row, in one place."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute


class Row(Protocol):
    at: dt.datetime
    id: uuid.UUID


def older_than(
    at: InstrumentedAttribute[dt.datetime], id_: InstrumentedAttribute[uuid.UUID], cursor: Row
) -> ColumnElement[bool]:
    """Rows after `cursor` in (at, id) descending order: a page never repeats or skips a row
    as new ones come (they sort before it)."""
    return or_(at < cursor.at, and_(at == cursor.at, id_ < cursor.id))
