"""Domain errors: what went wrong, in words the worker, the SSH gateway and the CLI share.

Services raise these, never Litestar's HTTP exceptions; `api.app` maps them to statuses in one
place (`STATUS` below), with the error shape of contract §3.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the caller can act on; `extra` rides along in the error body."""

    def __init__(
        self,
        detail: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers = headers


class Invalid(DomainError):
    """Bad input: the request can never succeed as sent."""


class Unauthorized(DomainError):
    """No valid credential."""


class Forbidden(DomainError):
    """A member without the role this needs."""


class NotFound(DomainError):
    """No such thing, or not one the caller may know of (non-members see 404)."""


class Conflict(DomainError):
    """The current state refuses it (a stale version, a duplicate, the owner leaving)."""


class Unprocessable(DomainError):
    """Well-formed, but at odds with an earlier request (an Idempotency-Key reused for another)."""


class TooLarge(DomainError):
    """A body or file over its limit."""


class TooMany(DomainError):
    """A limit on how often; `headers` carries Retry-After."""


STATUS: dict[type[DomainError], int] = {
    Invalid: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unprocessable: 422,
    TooMany: 429,
}


def status_of(exc: DomainError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 400
