"""Tokens that prove a request comes from `taskroom ssh-serve`, not from a user.

The gateway holds `TASKROOM_SECRET_KEY` (contract §2: shared by all replicas), so it signs a
one-minute JWT with its own audience (`api.signing.gateway_token`). User routes never accept
it (no username claim, and an audience the user middleware does not expect); the key-owner
route accepts nothing else.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token

from api.signing import GATEWAY_AUDIENCE


def is_gateway_token(auth: JWTAuth[Any, Token], encoded: str) -> bool:
    try:
        Token.decode(
            encoded,
            secret=auth.token_secret,
            algorithm=auth.algorithm,
            audience=GATEWAY_AUDIENCE,
        )
    except Exception:
        return False
    return True


def require_gateway(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Litestar guard for the gateway's own routes."""
    scheme, _sep, encoded = connection.headers.get("Authorization", "").partition(" ")
    auth = connection.app.state.runtime.jwt_auth
    if scheme.lower() != "bearer" or not is_gateway_token(auth, encoded.strip()):
        raise NotAuthorizedException(detail="This route is for the SSH gateway only")
