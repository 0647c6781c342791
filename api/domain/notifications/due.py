"""The due-soon scan: the assignee of a task due tomorrow (UTC) hears of it once.

"Once per task and due date" is the unique `dedupe` key `due_soon:<task>:<date>`, not a
lock: any number of workers (and API processes) may scan at the same moment, and the
insert of each notification either goes in or is skipped. A task moved to another due
date, due tomorrow again, is news again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Membership, Task
from api.domain.notifications.recorder import Draft, write

BATCH = 500


def due_key(task_id: uuid.UUID, due: dt.date) -> str:
    return f"due_soon:{task_id}:{due.isoformat()}"


def due_soon_query(tomorrow: dt.date) -> Select[uuid.UUID, uuid.UUID, uuid.UUID | None]:
    """The open tasks due tomorrow whose assignee is still a member (a removal clears the
    assignee, but races); `ix_tasks_due_date` finds them without reading every task."""
    return (
        select(Task.id, Task.project_id, Task.assignee_id)
        .join(
            Membership,
            (Membership.project_id == Task.project_id) & (Membership.user_id == Task.assignee_id),
        )
        .where(Task.due_date == tomorrow, Task.status != "done")
    )


async def scan_due_soon(
    sessionmaker: async_sessionmaker[AsyncSession], today: dt.date, email_on: bool
) -> list[uuid.UUID]:
    """Write the due-soon notifications not written yet; their ids, for delivery."""
    tomorrow = today + dt.timedelta(days=1)
    created: list[uuid.UUID] = []
    async with sessionmaker() as session:
        rows = (await session.execute(due_soon_query(tomorrow))).all()
        for start in range(0, len(rows), BATCH):
            drafts = [
                Draft(assignee, "due_soon", project, task, None, due_key(task, tomorrow))
                for task, project, assignee in rows[start : start + BATCH]
                if assignee is not None
            ]
            created += [i for i, _ in await write(session, drafts, email_on)]
            await session.commit()
    return created
