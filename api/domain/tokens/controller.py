"""Routes: /api/me/tokens, a user's personal access tokens."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.domain.deps import AuthRequest, provide_with_uow
from api.domain.errors import Forbidden
from api.domain.tokens.service import TokenService
from api.openapi import responses
from api.wire import ApiToken, ApiTokenCreate, ApiTokenCreated


class TokenController(Controller):
    path = "/api/me/tokens"
    tags = ["tokens"]
    dependencies = {"tokens": provide_with_uow(TokenService)}

    @get("/", summary="The caller's personal access tokens", responses=responses(401))
    async def list_tokens(
        self, request: AuthRequest, tokens: NamedDependency[TokenService]
    ) -> list[ApiToken]:
        return await tokens.list(request.user.id)

    @post(
        "/",
        summary="Create a personal access token (the secret is in this answer only)",
        description="A login is needed: a personal access token cannot create tokens (403).",
        status_code=201,
        responses=responses(400, 401, 403, 409, 413),
    )
    async def create_token(
        self,
        request: AuthRequest,
        data: JSONBody[ApiTokenCreate],
        tokens: NamedDependency[TokenService],
    ) -> ApiTokenCreated:
        if request.user.token_id is not None:
            raise Forbidden("Tokens cannot create tokens")
        return await tokens.create(request.user.id, data)

    @delete(
        "/{token_id:uuid}",
        summary="Revoke a personal access token (at once, open websockets too)",
        responses=responses(401, 404),
    )
    async def delete_token(
        self,
        request: AuthRequest,
        token_id: FromPath[uuid.UUID],
        tokens: NamedDependency[TokenService],
    ) -> None:
        await tokens.delete(request.user.id, token_id)
