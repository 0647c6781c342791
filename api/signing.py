"""Signed bearer tokens (HS256 JWTs) with PyJWT alone, in the claims Litestar's JWT auth reads.

Why not Litestar's `Token`: the SSH gateway mints its sessions' tokens and its own gateway
token, and importing Litestar (and argon2 with `api.security`) made its idle process ~70 MiB.
The API checks these tokens with Litestar's middleware; the claims are the ones its `Token`
encodes (`exp`, `sub`, `iat`, `aud`, `extras`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import jwt

ALGORITHM = "HS256"  # Litestar's JWTAuth default, which api/security.py keeps
# Every user token names this audience and user routes accept no other: a token minted for
# another purpose with the same secret (the SSH gateway's) opens no user route.
USER_AUDIENCE = "taskroom:user"
GATEWAY_AUDIENCE = "taskroom:ssh-gateway"
GATEWAY_TOKEN_TTL = dt.timedelta(seconds=60)


def mint(
    secret: str, *, subject: str, audience: str, ttl: dt.timedelta, extras: dict[str, Any]
) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {"exp": now + ttl, "sub": subject, "iat": now, "aud": audience, "extras": extras}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def user_token(secret: str, user_id: uuid.UUID, username: str, ttl: dt.timedelta) -> str:
    """A token of the user's own, as login gives (the SSH session's)."""
    return mint(
        secret,
        subject=str(user_id),
        audience=USER_AUDIENCE,
        ttl=ttl,
        extras={"username": username},
    )


def gateway_token(secret: str) -> str:
    """One minute of proof that a request comes from `taskroom ssh-serve`, not from a user."""
    return mint(
        secret, subject="ssh-gateway", audience=GATEWAY_AUDIENCE, ttl=GATEWAY_TOKEN_TTL, extras={}
    )
