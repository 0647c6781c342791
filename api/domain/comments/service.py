"""Comments: list, post (editor+, rate limited), edit (the author), delete (author or owner)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import select, update

from api.db.models import Comment, Task, utcnow
from api.db.session import UnitOfWork
from api.domain.activity.recorder import CHANGES
from api.domain.comments.schemas import comment_out
from api.domain.errors import Forbidden, NotFound
from api.domain.projects.authz import member_ids, require_role
from api.events import DomainEvent
from api.ratelimit import Limiter, enforce
from api.security import AuthUser
from api.wire import Comment as CommentOut
from api.wire import CommentCreate, CommentUpdate, EventName, Role

TASK_NOT_FOUND = "Task not found"
COMMENT_NOT_FOUND = "Comment not found"


class CommentService:
    def __init__(self, uow: UnitOfWork, limiter: Limiter) -> None:
        self.uow = uow
        self.session = uow.session
        self.limiter = limiter

    async def _role(self, project_id: uuid.UUID, user_id: uuid.UUID, detail: str) -> Role:
        """The caller's role; a non-member learns nothing (404 with the thing's own name)."""
        try:
            return await require_role(self.session, project_id, user_id)
        except NotFound:
            raise NotFound(detail) from None

    async def _task(self, task_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Task, Role]:
        task = await self.session.get(Task, task_id)
        if task is None:
            raise NotFound(TASK_NOT_FOUND)
        return task, await self._role(task.project_id, user_id, TASK_NOT_FOUND)

    async def _comment(self, comment_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Comment, Role]:
        comment = await self.session.get(Comment, comment_id)
        if comment is None:
            raise NotFound(COMMENT_NOT_FOUND)
        return comment, await self._role(comment.project_id, user_id, COMMENT_NOT_FOUND)

    async def _record(
        self,
        name: EventName,
        comment: Comment,
        data: dict[str, Any],
        actor: AuthUser,
        changes: dict[str, list[Any]] | None = None,
    ) -> None:
        self.uow.record(
            DomainEvent(
                name=name,
                project_id=comment.project_id,
                data=data,
                actor=actor.actor(),
                member_ids=await member_ids(self.session, comment.project_id),
                extra={CHANGES: changes} if changes else {},
            )
        )

    async def _count(self, task_id: uuid.UUID, delta: int) -> None:
        """One atomic UPDATE: concurrent comments on a task never lose a count, and the
        task's version stays (a comment is not an edit, so no one's save goes stale)."""
        await self.session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(comment_count=Task.comment_count + delta)
            .execution_options(synchronize_session=False)
        )

    async def list(self, task_id: uuid.UUID, user_id: uuid.UUID) -> list[CommentOut]:
        await self._task(task_id, user_id)
        rows = await self.session.scalars(
            select(Comment)
            .where(Comment.task_id == task_id)
            .order_by(Comment.created_at, Comment.id)
        )
        return [comment_out(c) for c in rows]

    async def create(self, task_id: uuid.UUID, data: CommentCreate, actor: AuthUser) -> CommentOut:
        task, role = await self._task(task_id, actor.id)
        if role == "viewer":
            raise Forbidden("This needs the editor role; you are viewer")
        keys = [str(actor.id)]
        await enforce(self.limiter, keys, "Too many comments; try again in a minute")
        now = utcnow()
        comment = Comment(
            task_id=task.id,
            project_id=task.project_id,
            author_id=actor.id,
            body=data.body,
            created_at=now,
            updated_at=now,
        )
        self.session.add(comment)
        await self.session.flush()
        await self.session.refresh(comment, ["author"])
        await self._count(task.id, 1)
        out = comment_out(comment)
        await self._record("comment:created", comment, msgspec.to_builtins(out), actor)
        await self.uow.commit()
        await self.limiter.record(keys)
        return out

    async def update(
        self, comment_id: uuid.UUID, data: CommentUpdate, actor: AuthUser
    ) -> CommentOut:
        comment, _role = await self._comment(comment_id, actor.id)
        if comment.author_id != actor.id:
            raise Forbidden("Only its author may edit a comment")
        if data.body == comment.body:  # nothing changed: not "edited", no event
            return comment_out(comment)
        changes = {"body": [comment.body, data.body]}
        comment.body = data.body
        comment.updated_at = utcnow()
        await self.session.flush()
        out = comment_out(comment)
        await self._record("comment:updated", comment, msgspec.to_builtins(out), actor, changes)
        await self.uow.commit()
        return out

    async def delete(self, comment_id: uuid.UUID, actor: AuthUser) -> None:
        comment, role = await self._comment(comment_id, actor.id)
        if comment.author_id != actor.id and role != "owner":
            raise Forbidden("Only its author or the project owner may delete a comment")
        data = {"id": str(comment.id), "task_id": str(comment.task_id)}
        await self._record("comment:deleted", comment, data, actor)
        await self.session.delete(comment)
        await self._count(comment.task_id, -1)
        await self.uow.commit()
