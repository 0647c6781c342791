"""Per-project event numbers taken inside the writing transaction.

Why: two transactions on one project may commit on two replicas in one order and reach
Redis in the other (each publishes after its own commit). Each transaction therefore
bumps `projects.event_seq` just before COMMIT; the UPDATE takes the project's row lock
and holds it until the commit, so the numbers follow commit order exactly. The
publisher (`api.rooms.publisher`) then appends events to the room's stream in number
order, holding back one that overtook its predecessor. A column on the existing row
needs no extra table or cleanup, unlike an outbox.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Project
from api.events import DomainEvent

SEQ = "seq"  # the key in DomainEvent.extra


async def assign_sequence(session: AsyncSession, events: list[DomainEvent]) -> list[DomainEvent]:
    """Number each project's events in this transaction (a pre-commit hook)."""
    counts = Counter(e.project_id for e in events)
    next_seq: dict[uuid.UUID, int] = {}
    for project_id in sorted(counts):  # one lock order for every transaction: no deadlock
        last = await session.scalar(
            update(Project)
            .where(Project.id == project_id)
            .values(event_seq=Project.event_seq + counts[project_id])
            .returning(Project.event_seq)
            .execution_options(synchronize_session=False)
        )
        if last is not None:  # a project deleted earlier in this transaction has no row
            next_seq[project_id] = last - counts[project_id] + 1
    numbered = []
    for event in events:
        seq = next_seq.get(event.project_id)
        if seq is None:
            numbered.append(event)
            continue
        next_seq[event.project_id] = seq + 1
        numbered.append(dataclasses.replace(event, extra={**event.extra, SEQ: seq}))
    return numbered
