"""Routes: /api/projects and their members."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, MediaType, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.domain.deps import AuthRequest, provide_with_uow
from api.domain.projects.reads import project_detail_for, project_list_body
from api.domain.projects.service import ProjectService
from api.openapi import responses
from api.runtime import runtime_of
from api.wire import (
    Member,
    MemberAdd,
    MemberUpdate,
    Project,
    ProjectCreate,
    ProjectDetail,
    ProjectUpdate,
)


def json_body(body: bytes) -> Response[Any]:
    """Ready JSON bytes (from the cache) sent as they are: no decode, no re-encode."""
    return Response(body, media_type=MediaType.JSON)


class ProjectController(Controller):
    path = "/api/projects"
    tags = ["projects"]
    dependencies = {"projects": provide_with_uow(ProjectService)}

    @get("/", summary="Every project the caller is a member of", responses=responses(401))
    async def list_projects(self, request: AuthRequest) -> Response[list[Project]]:
        return json_body(await project_list_body(runtime_of(request), request.user.id))

    @post(
        "/",
        summary="Create a project (the caller becomes owner)",
        status_code=201,
        responses=responses(400, 401, 413),
    )
    async def create_project(
        self,
        request: AuthRequest,
        data: JSONBody[ProjectCreate],
        projects: NamedDependency[ProjectService],
    ) -> Project:
        return await projects.create(data, request.user)

    @get(
        "/{project_id:uuid}",
        summary="A project with its members and all its tasks",
        responses=responses(401, 404),
    )
    async def get_project(
        self, request: AuthRequest, project_id: FromPath[uuid.UUID]
    ) -> Response[ProjectDetail]:
        body = await project_detail_for(runtime_of(request), project_id, request.user.id)
        return json_body(body)

    @patch(
        "/{project_id:uuid}",
        summary="Rename or describe a project (editor+)",
        responses=responses(400, 401, 403, 404, 409, 413),
    )
    async def update_project(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectUpdate],
        projects: NamedDependency[ProjectService],
    ) -> Project:
        return await projects.update(project_id, data, request.user)

    @delete(
        "/{project_id:uuid}",
        summary="Delete a project with its tasks and exports (owner)",
        responses=responses(401, 403, 404),
    )
    async def delete_project(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        projects: NamedDependency[ProjectService],
    ) -> None:
        await projects.delete(project_id, request.user)

    @post(
        "/{project_id:uuid}/members",
        summary="Add a member by username (owner)",
        status_code=201,
        responses=responses(400, 401, 403, 404, 409, 413),
    )
    async def add_member(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[MemberAdd],
        projects: NamedDependency[ProjectService],
    ) -> Member:
        return await projects.add_member(project_id, data, request.user)

    @patch(
        "/{project_id:uuid}/members/{user_id:uuid}",
        summary="Change a member's role (owner)",
        responses=responses(400, 401, 403, 404, 409, 413),
    )
    async def update_member(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[MemberUpdate],
        projects: NamedDependency[ProjectService],
    ) -> Member:
        return await projects.update_member(project_id, user_id, data, request.user)

    @delete(
        "/{project_id:uuid}/members/{user_id:uuid}",
        summary="Remove a member (owner), or leave the project",
        responses=responses(401, 403, 404, 409),
    )
    async def remove_member(
        self,
        request: AuthRequest,
        project_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        projects: NamedDependency[ProjectService],
    ) -> None:
        await projects.remove_member(project_id, user_id, request.user)
