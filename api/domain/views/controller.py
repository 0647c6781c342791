"""Routes: /api/me/views, a user's saved filters."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.domain.deps import AuthRequest, provide_with_uow
from api.domain.views.service import ViewService
from api.openapi import responses
from api.wire import SavedView, SavedViewCreate


class ViewController(Controller):
    path = "/api/me/views"
    tags = ["views"]
    dependencies = {"views": provide_with_uow(ViewService)}

    @get(
        "/",
        summary="The caller's saved views, oldest first",
        description="Views of a project the caller is no longer a member of are not listed.",
        responses=responses(401),
    )
    async def list_views(
        self, request: AuthRequest, views: NamedDependency[ViewService]
    ) -> list[SavedView]:
        return await views.list(request.user.id)

    @post(
        "/",
        summary="Save a view: a name, the filter text (kept verbatim), global or one project's",
        status_code=201,
        responses=responses(400, 401, 403, 404, 409, 413),
    )
    async def create_view(
        self,
        request: AuthRequest,
        data: JSONBody[SavedViewCreate],
        views: NamedDependency[ViewService],
    ) -> SavedView:
        return await views.create(request.user.id, data)

    @delete("/{view_id:uuid}", summary="Delete a saved view", responses=responses(401, 404))
    async def delete_view(
        self,
        request: AuthRequest,
        view_id: FromPath[uuid.UUID],
        views: NamedDependency[ViewService],
    ) -> None:
        await views.delete(request.user.id, view_id)
