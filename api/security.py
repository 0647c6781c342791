"""Authentication: password hashing and Litestar's JWT auth, with the user taken from claims.

The authenticated user is built from the token alone (id and username claims), so an
authenticated read touches the database only for the data it returns.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cachetools import TLRUCache
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from api.domain.tokens.secrets import looks_like_token
from api.signing import USER_AUDIENCE
from api.wire import Actor

_hasher = PasswordHasher()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("taskroom-dummy-password")


@dataclass(frozen=True)
class AuthUser:
    id: uuid.UUID
    username: str
    # A personal access token's scope and id; None for a login JWT.
    scope: str | None = None
    token_id: uuid.UUID | None = None

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
    try:
        return AuthUser(id=uuid.UUID(token.sub), username=username)
    except ValueError:
        return None  # type: ignore[return-value]


_READ_METHODS = frozenset({"GET", "HEAD"})


UNAUTHENTICATED_PATHS = ["^/api/auth/", "^/health", "^/schema", "^/ws"]
_BEARER = b"bearer "


class RememberingJWTMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, remembering accepted Authorization headers until they expire.

    Authentication was the largest share of a cache hit after the framework itself: the
    headers parsed into a mapping, the signature verified, the user built (bench/cache.py:
    the bare route lost 13 % behind auth, ~1 % with this). What one exact header value
    authenticates cannot change before the token's `exp`: the secret is this middleware's
    own and there is no revocation. Only accepted headers are remembered, and a remembered
    one is checked against its expiry on every request.
    """

    MEMO_SIZE = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header = self.auth_header.lower().encode("latin-1")
        # header → (result, the token's `exp`); least recently used go first once full.
        self._accepted: TLRUCache[bytes, tuple[AuthenticationResult, float]] = TLRUCache(
            self.MEMO_SIZE, ttu=_until_exp, timer=time.time
        )

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Who is calling, then the two checks every authenticated request needs.

        They are made here rather than as app-wide guards: Litestar copies the route handler
        for each guard it runs, which was a tenth of a cache hit's time.
        """
        result = await self._authenticate(connection)
        user = cast(AuthUser, result.user)
        if not await connection.app.state.runtime.accounts.exists(user.id):
            raise NotAuthorizedException("This account no longer exists")
        # A websocket scope has no method, and never gets here (its own check reads frames).
        method = cast(dict[str, Any], connection.scope).get("method", "GET")
        if user.scope == "read" and method not in _READ_METHODS:
            raise PermissionDeniedException("This access token is read-only")
        return result

    async def _authenticate(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        raw = next((v for k, v in connection.scope["headers"] if k == self._header), None)
        if raw is None:
            raise NotAuthorizedException("No JWT token found in request header")
        accepted = self._accepted.get(raw)
        if accepted is not None:
            return accepted[0]
        if raw[: len(_BEARER)].lower() != _BEARER:
            raise NotAuthorizedException("Only Bearer tokens are accepted")
        encoded = raw[len(_BEARER) :].decode("latin-1").strip()
        if looks_like_token(encoded):
            # A personal access token can be revoked: asked of the database every time,
            # never remembered here.
            user = await connection.app.state.runtime.tokens.authenticate(encoded)
            if user is None:
                raise NotAuthorizedException("Invalid, revoked or expired access token")
            return AuthenticationResult(user=user, auth=None)
        result = await self.authenticate_token(encoded_token=encoded, connection=connection)
        self._accepted[raw] = (result, cast(Token, result.auth).exp.timestamp())
        return result


def _until_exp(_header: bytes, accepted: tuple[AuthenticationResult, float], _now: float) -> float:
    return accepted[1]


def make_jwt_auth(secret: str, token_ttl_seconds: int) -> JWTAuth[AuthUser, Token]:
    return JWTAuth[AuthUser, Token](
        authentication_middleware_class=RememberingJWTMiddleware,
        retrieve_user_handler=_user_from_token,
        token_secret=secret,
        exclude=UNAUTHENTICATED_PATHS,
        accepted_audiences=[USER_AUDIENCE],
        strict_audience=True,
        default_token_expiration=dt.timedelta(seconds=token_ttl_seconds),
        description="A bearer token from POST /api/auth/login or /api/auth/register, or a "
        "personal access token (`trp_…`, POST /api/me/tokens).",
    )


def issue_token(
    auth: JWTAuth[AuthUser, Token],
    user_id: uuid.UUID,
    username: str,
    ttl: dt.timedelta | None = None,
) -> str:
    return auth.create_token(
        identifier=str(user_id),
        token_audience=USER_AUDIENCE,
        token_extras={"username": username},
        token_expiration=ttl,
    )


def decode_token(auth: JWTAuth[AuthUser, Token], encoded: str) -> AuthUser | None:
    """Validate a raw token outside the middleware (the websocket checks its own)."""
    try:
        token = Token.decode(
            encoded,
            secret=auth.token_secret,
            algorithm=auth.algorithm,
            audience=USER_AUDIENCE,
            strict_audience=True,
        )
        username = token.extras.get("username")
        if not isinstance(username, str):
            return None
        return AuthUser(id=uuid.UUID(token.sub), username=username)
    except Exception:
        return None
