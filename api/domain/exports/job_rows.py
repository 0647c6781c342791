"""A job row's change and its room event in one unit of work (exports and imports alike)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Base
from api.db.session import UnitOfWork
from api.events import Dispatcher, DomainEvent

J = TypeVar("J", bound=Base)


async def change_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    dispatcher: Dispatcher,
    model: type[J],
    job_id: uuid.UUID,
    event_of: Callable[[J], DomainEvent],
    **values: Any,
) -> J | None:
    """Update the job row and record its event like every other write: the pre-commit hooks
    run and the effects follow the commit. None if the job is gone (its project deleted)."""
    async with sessionmaker() as session:
        uow = UnitOfWork(session, dispatcher)
        job = await session.get(model, job_id)
        if job is None:
            return None
        for name, value in values.items():
            setattr(job, name, value)
        uow.record(event_of(job))
        await uow.commit()
    return job
