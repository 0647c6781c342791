"""Roles and membership checks. A non-member never learns that a project exists (404)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Membership
from api.domain.errors import Forbidden, NotFound
from api.wire import Role

RANK: dict[str, int] = {"viewer": 0, "editor": 1, "owner": 2}
PROJECT_NOT_FOUND = "Project not found"


async def require_role(
    session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID, minimum: Role = "viewer"
) -> Role:
    """The caller's role in the project, or 404 for a non-member, 403 below `minimum`."""
    role = await session.scalar(
        select(Membership.role).where(
            Membership.project_id == project_id, Membership.user_id == user_id
        )
    )
    return check_role(role, minimum)


def check_role(role: Role | None, minimum: Role) -> Role:
    """A role read along with something else (None: not a member): 404, 403 or the role."""
    if role is None:
        raise NotFound(detail=PROJECT_NOT_FOUND)
    if RANK[role] < RANK[minimum]:
        raise Forbidden(detail=f"This needs the {minimum} role; you are {role}")
    return role


async def member_ids(session: AsyncSession, project_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    rows = await session.scalars(
        select(Membership.user_id).where(Membership.project_id == project_id)
    )
    return tuple(rows)
