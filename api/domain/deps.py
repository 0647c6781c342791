"""What every controller shares: the request type whose `user` is the caller, how a
service that needs only the request's unit of work is provided, and the `Idempotency-Key`
header of the job routes (exports, imports; the writes' own is api/domain/idempotency.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter

from api.db.session import UnitOfWork
from api.security import AuthUser

AuthRequest = Request[AuthUser, Any, Any]

S = TypeVar("S")


def provide_with_uow(service: Callable[[UnitOfWork], S]) -> Provide:
    """`Provide` of `service(uow)`, made per request from the request's unit of work."""

    async def provide(uow: NamedDependency[UnitOfWork]) -> S:
        return service(uow)

    return Provide(provide)


# 1 to 200 visible ASCII characters (spaces only inside): no control character is ever stored.
IDEMPOTENCY_KEY_PATTERN = r"\A[!-~](?:[ -~]{0,198}[!-~])?\Z"

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Same key from the same caller: the same job (an import's body is not read).",
    ),
]
