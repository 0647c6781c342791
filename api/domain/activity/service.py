"""Activity reads: a project's or a task's history, newest first, paged by entry id."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.keyset import older_than
from api.db.models import ActivityEntry, Task
from api.domain.errors import Invalid, NotFound
from api.domain.projects.authz import require_role
from api.wire import ActivityItem, ActivityPage, Actor

TASK_NOT_FOUND = "Task not found"


def item_out(e: ActivityEntry) -> ActivityItem:
    actor = (
        Actor(id=e.actor_id, username=e.actor_username or "") if e.actor_id is not None else None
    )
    return ActivityItem(
        id=e.id,
        at=e.at,
        actor=actor,
        event=e.event,
        task_id=e.task_id,
        summary=e.summary,
        changes=e.changes or {},
    )


def page_query(
    project_id: uuid.UUID,
    task_id: uuid.UUID | None,
    limit: int,
    cursor: ActivityEntry | None = None,
) -> Select[ActivityEntry]:
    """One page and one more row (is there a next page?), newest first, after `cursor`.

    Keyset paging on (at, id): a page never repeats or skips an entry as new ones come.
    `bench/history.py` EXPLAINs this very statement.
    """
    stmt = select(ActivityEntry).where(ActivityEntry.project_id == project_id)
    if task_id is not None:
        stmt = stmt.where(ActivityEntry.task_id == task_id)
    if cursor is not None:
        stmt = stmt.where(older_than(ActivityEntry.at, ActivityEntry.id, cursor))
    return stmt.order_by(ActivityEntry.at.desc(), ActivityEntry.id.desc()).limit(limit + 1)


class ActivityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _page(
        self,
        project_id: uuid.UUID,
        task_id: uuid.UUID | None,
        limit: int,
        before: uuid.UUID | None,
    ) -> ActivityPage:
        cursor = None
        if before is not None:
            cursor = await self.session.get(ActivityEntry, before)
            if (
                cursor is None
                or cursor.project_id != project_id
                or (task_id is not None and cursor.task_id != task_id)
            ):
                raise Invalid("before is not an entry of this history")
        rows = list(await self.session.scalars(page_query(project_id, task_id, limit, cursor)))
        more = len(rows) > limit
        items = [item_out(e) for e in rows[:limit]]
        return ActivityPage(items=items, next=items[-1].id if more else None)

    async def for_project(
        self, project_id: uuid.UUID, user_id: uuid.UUID, limit: int, before: uuid.UUID | None
    ) -> ActivityPage:
        await require_role(self.session, project_id, user_id)
        return await self._page(project_id, None, limit, before)

    async def for_task(
        self, task_id: uuid.UUID, user_id: uuid.UUID, limit: int, before: uuid.UUID | None
    ) -> ActivityPage:
        task = await self.session.get(Task, task_id)
        if task is None:
            raise NotFound(TASK_NOT_FOUND)
        try:
            await require_role(self.session, task.project_id, user_id)
        except NotFound:
            raise NotFound(TASK_NOT_FOUND) from None
        return await self._page(task.project_id, task_id, limit, before)
