"""Authentication: password hashing and Litestar's JWT auth, with the user taken from claims.

The authenticated user is built from the token alone (id and username claims), so an
authenticated read touches the database only for the data it returns.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any, Self

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from api.wire import Actor

_hasher = PasswordHasher()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("taskroom-dummy-password")


@dataclass(frozen=True)
class AuthUser:
    id: uuid.UUID
    username: str

    def actor(self) -> Actor:
        return Actor(id=self.id, username=self.username)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def _user_from_token(
    token: Token, _connection: ASGIConnection[Any, Any, Any, Any]
) -> AuthUser:
    username = token.extras.get("username")
    if not isinstance(username, str):
        return None  # type: ignore[return-value]  # Litestar turns None into 401
    return _user(token.sub, username)  # type: ignore[return-value]


@functools.lru_cache(maxsize=4096)
def _user(sub: str, username: str) -> AuthUser | None:
    """The user a token's claims name, built once per claims (every request needs one)."""
    try:
        return AuthUser(id=uuid.UUID(sub), username=username)
    except ValueError:
        return None


UNAUTHENTICATED_PATHS = ["^/api/auth/", "^/health", "^/schema", "^/ws"]


class RememberedToken(Token):
    """A Token whose verified decodes are remembered until the token expires.

    Verifying the signature is most of an authenticated cache hit's cost (~100 µs); the
    result for one exact token string cannot change before its `exp` (there is no
    revocation), so a bounded memo gives the same answers for less.
    """

    _memo: dict[tuple[str, str], Token] = {}
    MEMO_SIZE = 4096

    @classmethod
    def decode(cls, encoded_token: str, secret: str, algorithm: str, **kwargs: Any) -> Self:  # type: ignore[override]
        key = (encoded_token, secret)
        token = cls._memo.get(key)
        if token is not None and token.exp > dt.datetime.now(dt.UTC) and not kwargs.get("audience"):
            return token  # type: ignore[return-value]
        token = super().decode(encoded_token, secret, algorithm, **kwargs)
        if len(cls._memo) >= cls.MEMO_SIZE:
            cls._memo.pop(next(iter(cls._memo)))
        cls._memo[key] = token
        return token


def make_jwt_auth(secret: str, token_ttl_seconds: int) -> JWTAuth[AuthUser, Token]:
    return JWTAuth[AuthUser, Token](
        token_cls=RememberedToken,
        retrieve_user_handler=_user_from_token,
        token_secret=secret,
        exclude=UNAUTHENTICATED_PATHS,
        default_token_expiration=dt.timedelta(seconds=token_ttl_seconds),
        description="A bearer token from POST /api/auth/login or /api/auth/register.",
    )


def issue_token(
    auth: JWTAuth[AuthUser, Token],
    user_id: uuid.UUID,
    username: str,
    ttl: dt.timedelta | None = None,
) -> str:
    return auth.create_token(
        identifier=str(user_id), token_extras={"username": username}, token_expiration=ttl
    )


def decode_token(auth: JWTAuth[AuthUser, Token], encoded: str) -> AuthUser | None:
    """Validate a raw token outside the middleware (the websocket checks its own)."""
    try:
        token = Token.decode(encoded, secret=auth.token_secret, algorithm=auth.algorithm)
        username = token.extras.get("username")
        if not isinstance(username, str):
            return None
        return AuthUser(id=uuid.UUID(token.sub), username=username)
    except Exception:
        return None
