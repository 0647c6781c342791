"""Notification rows as the wire shape (contract §8), with the project's and task's names."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Membership, Notification, Project, Task
from api.wire import Actor, ProjectRef, TaskRef
from api.wire import Notification as NotificationOut

NotificationRow = tuple[Notification, str, str | None]


def insert_or_skip(session: AsyncSession, table: type[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: a row whose unique key exists is skipped, the
    others go in, and RETURNING names only those (PostgreSQL and SQLite alike)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def listed() -> Select[Notification, str, str]:
    """Notifications with their project's and task's names, only of projects the user is in.

    The join on memberships is what hides a removed member's notifications of that project.
    """
    return (
        select(Notification, Project.name, Task.title)
        .join(
            Membership,
            and_(
                Membership.project_id == Notification.project_id,
                Membership.user_id == Notification.user_id,
            ),
        )
        .join(Project, Project.id == Notification.project_id)
        .outerjoin(Task, Task.id == Notification.task_id)
    )


def notification_out(row: NotificationRow) -> NotificationOut:
    n, project_name, task_title = row
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        project=ProjectRef(id=n.project_id, name=project_name),
        task=TaskRef(id=n.task_id, title=task_title or "") if n.task_id else None,
        actor=Actor(id=n.actor_id, username=n.actor_username or "") if n.actor_id else None,
        at=n.at,
        read=n.read_at is not None,
    )


def unread_count_query(user_id: uuid.UUID) -> Select[int]:
    """Counted on the partial index of unread rows, joined to the user's memberships."""
    return (
        select(func.count())
        .select_from(Notification)
        .join(
            Membership,
            and_(
                Membership.project_id == Notification.project_id,
                Membership.user_id == Notification.user_id,
            ),
        )
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    return await session.scalar(unread_count_query(user_id)) or 0


async def load(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[tuple[Notification, NotificationOut]]:
    """The rows (for their user and email state) and their wire shape, oldest first."""
    rows = await session.execute(
        listed().where(Notification.id.in_(ids)).order_by(Notification.at, Notification.id)
    )
    return [(row[0], notification_out(row)) for row in rows]
