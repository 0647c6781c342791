"""OpenAPI helpers: the documented error responses of contract §3, and public routes."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Operation

from api.wire import ErrorBody

_DESCRIPTIONS = {
    400: "Bad input",
    401: "Missing or invalid bearer token",
    403: "Member without the required role",
    404: "No such thing, or not a member",
    409: "Conflict (stale version, duplicate)",
    413: "Body larger than 1 MiB",
    422: "Idempotency-Key already used for a different request",
    429: "Rate limited (failed logins, exports, comments); see Retry-After",
}


def responses(*codes: int) -> dict[int, ResponseSpec]:
    """Error responses for a route, all with the contract's error body."""
    return {
        code: ResponseSpec(data_container=ErrorBody, description=_DESCRIPTIONS[code])
        for code in codes
    }


@dataclass
class PublicOperation(Operation):
    """An operation that needs no token: `security: []` overrides the global bearer scheme.

    Litestar drops a handler's empty `security` list (it renders as "inherit the global
    one"), so routes outside the JWT middleware say so through their operation class.
    """

    def __post_init__(self) -> None:
        self.security = []
