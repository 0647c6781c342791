"""What every controller's handlers share: the request type whose `user` is the caller."""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.security import AuthUser

AuthRequest = Request[AuthUser, Any, Any]
