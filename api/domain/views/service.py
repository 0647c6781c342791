"""Saved views: list, save, delete; each user's own.

A view of a project is listed only while its owner is a member (it goes with the project,
and is hidden, not deleted, when they leave: it comes back if they are added again). Views
are the user's alone, in no room and no cached body, so they record no domain event.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select

from api.db.models import Membership, SavedView, utcnow
from api.db.session import UnitOfWork
from api.domain.errors import Conflict, NotFound
from api.domain.views.schemas import view_out
from api.wire import SavedView as SavedViewOut
from api.wire import SavedViewCreate

MAX_VIEWS_PER_USER = 200
VIEW_NOT_FOUND = "View not found"


class ViewService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def list(self, user_id: uuid.UUID) -> list[SavedViewOut]:
        member_of = select(Membership.project_id).where(Membership.user_id == user_id)
        rows = await self.session.scalars(
            select(SavedView)
            .where(
                SavedView.user_id == user_id,
                or_(SavedView.project_id.is_(None), SavedView.project_id.in_(member_of)),
            )
            .order_by(SavedView.created_at, SavedView.id)
        )
        return [view_out(row) for row in rows]

    async def create(self, user_id: uuid.UUID, data: SavedViewCreate) -> SavedViewOut:
        if data.project_id is not None:
            member = await self.session.scalar(
                select(Membership.role).where(
                    Membership.project_id == data.project_id, Membership.user_id == user_id
                )
            )
            if member is None:
                raise NotFound("Project not found")
        count = await self.session.scalar(
            select(func.count()).select_from(SavedView).where(SavedView.user_id == user_id)
        )
        if (count or 0) >= MAX_VIEWS_PER_USER:
            raise Conflict(f"At most {MAX_VIEWS_PER_USER} saved views per user")
        row = SavedView(
            user_id=user_id,
            project_id=data.project_id,
            name=data.name,
            query=data.query,
            created_at=utcnow(),
        )
        self.session.add(row)
        await self.uow.commit()
        return view_out(row)

    async def delete(self, user_id: uuid.UUID, view_id: uuid.UUID) -> None:
        row = await self.session.get(SavedView, view_id)
        if row is None or row.user_id != user_id:
            raise NotFound(VIEW_NOT_FOUND)
        await self.session.delete(row)
        await self.uow.commit()
