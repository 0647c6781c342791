"""The inbox: a user's notifications, newest first, and marking them read."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, update

from api.db.keyset import older_than
from api.db.models import Notification, utcnow
from api.db.session import UnitOfWork
from api.domain.errors import Invalid
from api.domain.notifications.delivery import Delivery
from api.domain.notifications.schemas import listed, notification_out, unread_count
from api.wire import MarkRead, NotificationPage


def page_query(
    user_id: uuid.UUID, unread: bool, limit: int, cursor: Notification | None = None
) -> Select[Notification, str, str]:
    """One page and one more row, newest first, after `cursor`: keyset paging on (at, id) over
    the user's index, so no page repeats or skips one. `bench/history.py` EXPLAINs it."""
    stmt = listed().where(Notification.user_id == user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    if cursor is not None:
        stmt = stmt.where(older_than(Notification.at, Notification.id, cursor))
    return stmt.order_by(Notification.at.desc(), Notification.id.desc()).limit(limit + 1)


class NotificationService:
    def __init__(self, uow: UnitOfWork, delivery: Delivery) -> None:
        self.uow = uow
        self.session = uow.session
        self.delivery = delivery

    async def page(
        self, user_id: uuid.UUID, unread: bool, limit: int, before: uuid.UUID | None
    ) -> NotificationPage:
        cursor = None
        if before is not None:
            cursor = await self.session.get(Notification, before)
            if cursor is None or cursor.user_id != user_id:
                raise Invalid("before is not one of your notifications")
        rows = await self.session.execute(page_query(user_id, unread, limit, cursor))
        items = [notification_out(row) for row in rows]
        more = len(items) > limit
        items = items[:limit]
        return NotificationPage(
            items=items,
            next=items[-1].id if more else None,
            unread=await unread_count(self.session, user_id),
        )

    async def mark_read(self, user_id: uuid.UUID, data: MarkRead) -> None:
        """Only the caller's own unread rows change: others' ids match nothing."""
        if not data.all and not data.ids:
            raise Invalid("Give ids to mark read, or all: true")
        stmt = update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
        if not data.all:
            stmt = stmt.where(Notification.id.in_(data.ids))
        result = await self.session.execute(
            stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)
        )
        await self.uow.commit()
        if getattr(result, "rowcount", 0):  # the user's other sockets see the new count
            await self.delivery.unread_changed([user_id])
