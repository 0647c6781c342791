"""What every controller shares: the request type whose `user` is the caller, and how a
service that needs only the request's unit of work is provided."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from litestar import Request
from litestar.di import NamedDependency, Provide

from api.db.session import UnitOfWork
from api.security import AuthUser

AuthRequest = Request[AuthUser, Any, Any]

S = TypeVar("S")


def provide_with_uow(service: Callable[[UnitOfWork], S]) -> Provide:
    """`Provide` of `service(uow)`, made per request from the request's unit of work."""

    async def provide(uow: NamedDependency[UnitOfWork]) -> S:
        return service(uow)

    return Provide(provide)
