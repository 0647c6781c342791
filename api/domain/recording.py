"""Recording a write's events: one project's changes at once, its members read once for all.

A bulk change records 500 events and a label's deletion one per task that carried it; each
`DomainEvent` names the project's members (whose list keys it drops), and reading them per
event would be one query per task.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from api.db.session import UnitOfWork
from api.domain.projects.authz import member_ids
from api.events import DomainEvent
from api.security import AuthUser
from api.wire import EventName

# One event to record: its name, data and extra (the DomainEvent fields the service knows).
Change = tuple[EventName, dict[str, Any], dict[str, Any]]


async def record_changes(
    uow: UnitOfWork, project_id: uuid.UUID, actor: AuthUser, changes: Iterable[Change]
) -> None:
    members = await member_ids(uow.session, project_id)
    uow.record(
        *(
            DomainEvent(
                name=name,
                project_id=project_id,
                data=data,
                actor=actor.actor(),
                member_ids=members,
                extra=extra,
            )
            for name, data, extra in changes
        )
    )
