"""Saves without the client's `version`: applied to the row as it is now (contract §7).

One UPDATE that bumps the version itself and returns the row: it waits for the row (a
PostgreSQL row lock, SQLite's one writer), so concurrent unversioned saves are serialised and
each one applied on top of the one before. Nothing is read first that could have gone stale.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Project, Task

Versioned = TypeVar("Versioned", Project, Task)


async def apply_to_current(
    session: AsyncSession, model: type[Versioned], row_id: uuid.UUID, changes: dict[str, Any]
) -> Versioned | None:
    """The row after the change, or None when it is gone."""
    row: Versioned | None = await session.scalar(
        update(model)
        .where(model.id == row_id)
        .values(**changes, version=model.version + 1)
        .returning(model),
        execution_options={"populate_existing": True},
    )
    return row
