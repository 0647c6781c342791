"""Routes: /api/tasks/{id}/comments and /api/comments/{id} (contract §8)."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from api.db.session import UnitOfWork
from api.domain.comments.service import CommentService
from api.domain.deps import AuthRequest
from api.domain.idempotency import Idempotent, provide_idempotent
from api.openapi import responses
from api.runtime import Runtime
from api.wire import Comment, CommentCreate, CommentUpdate


async def provide_comment_service(
    uow: NamedDependency[UnitOfWork], runtime: NamedDependency[Runtime]
) -> CommentService:
    return CommentService(uow, runtime.comment_limiter)


class CommentController(Controller):
    tags = ["comments"]
    dependencies = {
        "comments": Provide(provide_comment_service),
        "once": Provide(provide_idempotent),
    }

    @get(
        "/api/tasks/{task_id:uuid}/comments",
        summary="A task's comments, oldest first (any member)",
        responses=responses(401, 404),
    )
    async def list_comments(
        self,
        request: AuthRequest,
        task_id: FromPath[uuid.UUID],
        comments: NamedDependency[CommentService],
    ) -> list[Comment]:
        return await comments.list(task_id, request.user.id)

    @post(
        "/api/tasks/{task_id:uuid}/comments",
        summary="Comment on a task (editor+; at most 30 a minute per user)",
        status_code=201,
        responses=responses(400, 401, 403, 404, 409, 413, 422, 429),
    )
    async def create_comment(
        self,
        request: AuthRequest,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[CommentCreate],
        comments: NamedDependency[CommentService],
        once: NamedDependency[Idempotent],
    ) -> Comment:
        return await once.run(data, Comment, lambda: comments.create(task_id, data, request.user))

    @patch(
        "/api/comments/{comment_id:uuid}",
        summary="Edit a comment (its author only)",
        responses=responses(400, 401, 403, 404, 413),
    )
    async def update_comment(
        self,
        request: AuthRequest,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[CommentUpdate],
        comments: NamedDependency[CommentService],
    ) -> Comment:
        return await comments.update(comment_id, data, request.user)

    @delete(
        "/api/comments/{comment_id:uuid}",
        summary="Delete a comment (its author, or the project owner)",
        responses=responses(401, 403, 404),
    )
    async def delete_comment(
        self,
        request: AuthRequest,
        comment_id: FromPath[uuid.UUID],
        comments: NamedDependency[CommentService],
    ) -> None:
        await comments.delete(comment_id, request.user)
