"""Routes: /api/me/ssh-keys (a user's own keys), /api/auth/ssh-key (the gateway's lookup)."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody

from api.domain.deps import AuthRequest, provide_with_uow
from api.domain.ssh_keys.gateway import require_gateway
from api.domain.ssh_keys.service import SshKeyService
from api.openapi import responses
from api.wire import SshKey, SshKeyCreate, SshKeyOwnerRequest, User


class SshKeyController(Controller):
    path = "/api/me/ssh-keys"
    tags = ["ssh-keys"]
    dependencies = {"ssh_keys": provide_with_uow(SshKeyService)}

    @get("/", summary="The caller's SSH public keys", responses=responses(401))
    async def list_keys(
        self, request: AuthRequest, ssh_keys: NamedDependency[SshKeyService]
    ) -> list[SshKey]:
        return await ssh_keys.list(request.user.id)

    @post(
        "/",
        summary="Register an SSH public key for `ssh` logins (409 when already registered)",
        status_code=201,
        responses=responses(400, 401, 409, 413),
    )
    async def add_key(
        self,
        request: AuthRequest,
        data: JSONBody[SshKeyCreate],
        ssh_keys: NamedDependency[SshKeyService],
    ) -> SshKey:
        return await ssh_keys.add(request.user.id, data)

    @delete("/{key_id:uuid}", summary="Remove an SSH public key", responses=responses(401, 404))
    async def delete_key(
        self,
        request: AuthRequest,
        key_id: FromPath[uuid.UUID],
        ssh_keys: NamedDependency[SshKeyService],
    ) -> None:
        await ssh_keys.delete(request.user.id, key_id)


class SshGatewayController(Controller):
    path = "/api/auth/ssh-key"
    tags = ["ssh-keys"]
    dependencies = {"ssh_keys": provide_with_uow(SshKeyService)}
    guards = [require_gateway]
    security = [{"BearerToken": []}]

    @post(
        "/",
        summary="The user who may log in as `username` with this public key (SSH gateway only)",
        description="Called by `taskroom ssh-serve` after the client proved it holds the private "
        "key. Needs the gateway's own short-lived token, signed with the shared secret key; "
        "user tokens are refused.",
        status_code=200,
        responses=responses(400, 401, 413),
    )
    async def key_owner(
        self, data: JSONBody[SshKeyOwnerRequest], ssh_keys: NamedDependency[SshKeyService]
    ) -> User:
        user = await ssh_keys.owner(data)
        if user is None:
            raise NotAuthorizedException(detail="No such key for this user")
        return user
