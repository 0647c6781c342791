"""Projects and their members: reads, writes, and the domain events they record."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from api.db.models import Label, Membership, Project, Task, User, utcnow
from api.db.session import UnitOfWork
from api.db.unversioned import apply_to_current
from api.domain.activity.recorder import CHANGES
from api.domain.errors import Conflict, Forbidden, NotFound
from api.domain.labels.schemas import label_out
from api.domain.projects.authz import PROJECT_NOT_FOUND, member_ids, require_role
from api.domain.tasks.schemas import task_out
from api.events import DomainEvent
from api.security import AuthUser
from api.wire import (
    EventName,
    Member,
    MemberAdd,
    MemberUpdate,
    ProjectCreate,
    ProjectDetail,
    ProjectUpdate,
    Role,
    TaskCounts,
)
from api.wire import Project as ProjectOut


def stale(current: Any) -> Conflict:
    return Conflict(
        detail="This was changed by someone else; here is the current version",
        extra={"current": msgspec.to_builtins(current)},
    )


def project_out(p: Project, role: Role | None, counts: TaskCounts) -> ProjectOut:
    return ProjectOut(
        id=p.id,
        name=p.name,
        description=p.description,
        owner_id=p.owner_id,
        role=role,
        task_counts=counts,
        version=p.version,
        updated_at=p.updated_at,
    )


class ProjectService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def _counts(self, project_ids: list[uuid.UUID]) -> dict[uuid.UUID, TaskCounts]:
        counts: dict[uuid.UUID, TaskCounts] = defaultdict(TaskCounts)
        if not project_ids:
            return counts
        rows = await self.session.execute(
            select(Task.project_id, Task.status, func.count())
            .where(Task.project_id.in_(project_ids))
            .group_by(Task.project_id, Task.status)
        )
        for project_id, status, n in rows:
            setattr(counts[project_id], status, n)
        return counts

    async def _event(
        self,
        name: EventName,
        project: Project,
        data: dict[str, Any],
        actor: AuthUser,
        *,
        revoked: tuple[uuid.UUID, ...] = (),
    ) -> DomainEvent:
        members = await member_ids(self.session, project.id)
        return DomainEvent(
            name=name,
            project_id=project.id,
            data=data,
            actor=actor.actor(),
            member_ids=tuple(dict.fromkeys(members + revoked)),
            revoked_ids=revoked,
        )

    async def _project_out(self, project: Project, role: Role | None) -> ProjectOut:
        counts = await self._counts([project.id])
        return project_out(project, role, counts[project.id])

    async def list_for(self, user_id: uuid.UUID) -> list[ProjectOut]:
        rows = (
            await self.session.execute(
                select(Project, Membership.role)
                .join(Membership, Membership.project_id == Project.id)
                .where(Membership.user_id == user_id)
                .order_by(Project.updated_at.desc(), Project.id)
            )
        ).all()
        counts = await self._counts([p.id for p, _ in rows])
        return [project_out(p, role, counts[p.id]) for p, role in rows]

    async def detail(self, project_id: uuid.UUID, user_id: uuid.UUID | None) -> ProjectDetail:
        """The whole project; with `user_id`, only for a member (404 otherwise)."""
        project = await self.session.get(Project, project_id)
        if project is None:
            raise NotFound(detail=PROJECT_NOT_FOUND)
        rows = (
            await self.session.execute(
                select(Membership.user_id, User.username, User.display_name, Membership.role)
                .join(User, User.id == Membership.user_id)
                .where(Membership.project_id == project_id)
                .order_by(User.username)
            )
        ).all()
        members = [Member(user_id=u, username=n, display_name=d, role=r) for u, n, d, r in rows]
        role = next((m.role for m in members if m.user_id == user_id), None)
        if user_id is not None and role is None:
            raise NotFound(detail=PROJECT_NOT_FOUND)
        tasks = (
            await self.session.scalars(
                select(Task)
                .where(Task.project_id == project_id)
                .order_by(Task.status, Task.position)
            )
        ).all()
        counts = TaskCounts()
        for t in tasks:
            setattr(counts, t.status, getattr(counts, t.status) + 1)
        labels = await self.session.scalars(
            select(Label).where(Label.project_id == project_id).order_by(Label.name_key, Label.id)
        )
        base = project_out(project, role, counts)
        return ProjectDetail(
            **msgspec.structs.asdict(base),
            members=members,
            tasks=[task_out(t) for t in tasks],
            labels=[label_out(label) for label in labels],
        )

    async def create(self, data: ProjectCreate, actor: AuthUser) -> ProjectOut:
        project = Project(name=data.name, description=data.description, owner_id=actor.id)
        project.memberships.append(Membership(user_id=actor.id, role="owner"))
        self.session.add(project)
        await self.session.flush()
        out = await self._project_out(project, "owner")
        self.uow.record(
            await self._event("project:created", project, msgspec.to_builtins(out), actor)
        )
        await self.uow.commit()
        return out

    async def update(
        self, project_id: uuid.UUID, data: ProjectUpdate, actor: AuthUser
    ) -> ProjectOut:
        role = await require_role(self.session, project_id, actor.id, "editor")
        changes: dict[str, Any] = {
            f: getattr(data, f)
            for f in ("name", "description")
            if getattr(data, f) is not msgspec.UNSET
        }
        # The old values, for the activity history (read before the write, like tasks do).
        old: dict[str, Any] = {}
        if changes:
            columns = [getattr(Project, f) for f in changes]
            row = (
                await self.session.execute(select(*columns).where(Project.id == project_id))
            ).one_or_none()
            old = dict(zip(changes, row or (), strict=False))
        changes["updated_at"] = utcnow()
        if data.version is msgspec.UNSET:
            project = await apply_to_current(self.session, Project, project_id, changes)
            if project is None:  # deleted meanwhile
                raise NotFound(detail=PROJECT_NOT_FOUND)
        else:
            project = await self.session.get(Project, project_id, with_for_update=True)
            assert project is not None
            if data.version != project.version:
                raise stale(await self._project_out(project, role))
            for field, value in changes.items():
                setattr(project, field, value)
            try:
                await self.session.flush()
            except StaleDataError:
                await self.session.rollback()
                current = await self._reload(project_id)
                raise stale(await self._project_out(current, role)) from None
        out = await self._project_out(project, role)
        event = await self._event("project:updated", project, msgspec.to_builtins(out), actor)
        diff = {f: [v, getattr(out, f)] for f, v in old.items() if v != getattr(out, f)}
        self.uow.record(dataclasses.replace(event, extra={CHANGES: diff}))
        await self.uow.commit()
        return out

    async def _reload(self, project_id: uuid.UUID) -> Project:
        project = await self.session.get(Project, project_id, populate_existing=True)
        if project is None:
            raise NotFound(detail=PROJECT_NOT_FOUND)
        return project

    async def delete(self, project_id: uuid.UUID, actor: AuthUser) -> None:
        await require_role(self.session, project_id, actor.id, "owner")
        project = await self.session.get(Project, project_id)
        assert project is not None
        members = await member_ids(self.session, project_id)
        event = DomainEvent(
            name="project:deleted",
            project_id=project_id,
            data={"id": str(project_id)},
            actor=actor.actor(),
            member_ids=members,
            revoked_ids=members,
        )
        await self.session.delete(project)
        self.uow.record(event)
        await self.uow.commit()

    # --- members ---------------------------------------------------------------------

    async def _member_out(self, project_id: uuid.UUID, user_id: uuid.UUID) -> Member:
        row = (
            await self.session.execute(
                select(User.username, User.display_name, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.project_id == project_id, Membership.user_id == user_id)
            )
        ).one()
        return Member(user_id=user_id, username=row[0], display_name=row[1], role=row[2])

    async def add_member(self, project_id: uuid.UUID, data: MemberAdd, actor: AuthUser) -> Member:
        await require_role(self.session, project_id, actor.id, "owner")
        user = await self.session.scalar(select(User).where(User.username == data.username))
        if user is None:
            raise NotFound(detail=f"No user named {data.username!r}")
        if await self.session.get(Membership, (project_id, user.id)) is not None:
            raise Conflict(detail=f"{data.username} is already a member")
        self.session.add(Membership(project_id=project_id, user_id=user.id, role=data.role))
        await self.session.flush()
        member = await self._member_out(project_id, user.id)
        project = await self._reload(project_id)
        self.uow.record(
            await self._event("member:added", project, msgspec.to_builtins(member), actor)
        )
        await self.uow.commit()
        return member

    async def _membership(self, project_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
        membership = await self.session.get(Membership, (project_id, user_id))
        if membership is None:
            raise NotFound(detail="No such member")
        return membership

    async def update_member(
        self, project_id: uuid.UUID, user_id: uuid.UUID, data: MemberUpdate, actor: AuthUser
    ) -> Member:
        await require_role(self.session, project_id, actor.id, "owner")
        membership = await self._membership(project_id, user_id)
        if membership.role == "owner":
            raise Conflict(detail="The owner's role cannot be changed")
        membership.role = data.role
        await self.session.flush()
        member = await self._member_out(project_id, user_id)
        project = await self._reload(project_id)
        # Contract §5 has no member:updated: a role change travels as member:added.
        self.uow.record(
            await self._event("member:added", project, msgspec.to_builtins(member), actor)
        )
        await self.uow.commit()
        return member

    async def remove_member(
        self, project_id: uuid.UUID, user_id: uuid.UUID, actor: AuthUser
    ) -> None:
        role = await require_role(self.session, project_id, actor.id, "viewer")
        if user_id != actor.id and role != "owner":
            raise Forbidden(detail="Only the owner can remove other members")
        membership = await self._membership(project_id, user_id)
        if membership.role == "owner":
            raise Conflict(detail="The owner cannot leave; delete the project instead")
        member = await self._member_out(project_id, user_id)
        project = await self._reload(project_id)
        event = await self._event(
            "member:removed", project, msgspec.to_builtins(member), actor, revoked=(user_id,)
        )
        await self.session.delete(membership)
        await self.session.flush()
        self.uow.record(event, *await self._unassign(project, user_id, actor))
        await self.uow.commit()

    async def _unassign(
        self, project: Project, user_id: uuid.UUID, actor: AuthUser
    ) -> list[DomainEvent]:
        """A removed member is nobody's assignee any more: their tasks are cleared in the same
        transaction, each with a `task:updated` for the boards (sent to the remaining members)."""
        tasks = await self.session.scalars(
            update(Task)
            .where(Task.project_id == project.id, Task.assignee_id == user_id)
            .values(
                assignee_id=None,
                version=Task.version + 1,
                updated_at=utcnow(),
                updated_by=actor.id,
            )
            .returning(Task),
            execution_options={"populate_existing": True},
        )
        members = await member_ids(self.session, project.id)
        return [
            DomainEvent(
                name="task:updated",
                project_id=project.id,
                data=msgspec.to_builtins(task_out(task)),
                actor=actor.actor(),
                member_ids=members,
            )
            for task in tasks
        ]
