"""Routes: /api/auth/register, /api/auth/login, /api/me."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from api.db.session import UnitOfWork
from api.domain.accounts.service import AccountService
from api.openapi import PublicOperation, responses
from api.runtime import Runtime
from api.security import AuthUser
from api.wire import AuthResponse, LoginRequest, Me, MeUpdate, RegisterRequest


async def provide_account_service(
    uow: NamedDependency[UnitOfWork], runtime: NamedDependency[Runtime]
) -> AccountService:
    return AccountService(uow, runtime.jwt_auth, runtime.login_limiter, runtime.register_limiter)


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]
    dependencies = {"accounts": Provide(provide_account_service)}

    @post(
        "/register",
        summary="Create an account",
        status_code=201,
        responses=responses(400, 409, 413, 429),
        operation_class=PublicOperation,
    )
    async def register(
        self,
        data: JSONBody[RegisterRequest],
        accounts: NamedDependency[AccountService],
        request: Request[Any, Any, Any],
    ) -> AuthResponse:
        return await accounts.register(data, _address(request))

    @post(
        "/login",
        summary="Log in and get a bearer token",
        status_code=200,
        responses=responses(400, 401, 413, 429),
        operation_class=PublicOperation,
    )
    async def login(
        self,
        data: JSONBody[LoginRequest],
        accounts: NamedDependency[AccountService],
        request: Request[Any, Any, Any],
    ) -> AuthResponse:
        return await accounts.login(data, _address(request))


class MeController(Controller):
    path = "/api/me"
    tags = ["accounts"]
    dependencies = {"accounts": Provide(provide_account_service)}

    @get("/", summary="The logged-in user", responses=responses(401))
    async def me(
        self, request: Request[AuthUser, Any, Any], accounts: NamedDependency[AccountService]
    ) -> Me:
        return await accounts.get(request.user.id)

    @patch(
        "/",
        summary="Change your display name, email address and email notifications",
        responses=responses(400, 401, 413),
    )
    async def update_me(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[MeUpdate],
        accounts: NamedDependency[AccountService],
    ) -> Me:
        return await accounts.update(request.user.id, data)
