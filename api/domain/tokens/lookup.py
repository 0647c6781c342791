"""Who a personal access token belongs to, asked of the database on every request.

Unlike a login JWT, a token can be revoked, so no answer is remembered: a revoked or
expired token is refused at once. `last_used_at` is written at most once a minute.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ApiToken, User, utcnow
from api.domain.tokens.secrets import hash_token, looks_like_token
from api.security import AuthUser

TOUCH_EVERY = dt.timedelta(minutes=1)
_CHUNK = 500


class TokenLookup:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def authenticate(self, token: str) -> AuthUser | None:
        """The token's user with its scope, or None when unknown, revoked or expired."""
        if not looks_like_token(token):
            return None
        now = utcnow()
        async with self._sessionmaker() as session:
            await session.connection(execution_options={"logging_token": "tokens"})
            found = (
                await session.execute(
                    select(
                        ApiToken.id,
                        ApiToken.scope,
                        ApiToken.expires_at,
                        ApiToken.last_used_at,
                        User.id,
                        User.username,
                    )
                    .join(User, User.id == ApiToken.user_id)
                    .where(ApiToken.token_hash == hash_token(token))
                )
            ).one_or_none()
            if found is None:
                return None
            token_id, scope, expires_at, last_used_at, user_id, username = found
            if expires_at is not None and expires_at <= now:
                return None
            if last_used_at is None or now - last_used_at >= TOUCH_EVERY:
                await session.execute(
                    update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
                )
                await session.commit()
        return AuthUser(id=user_id, username=username, scope=scope, token_id=token_id)

    async def invalid(self, token_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `token_ids` revoked or expired by now (one query per 500)."""
        ids = list(set(token_ids))
        if not ids:
            return set()
        now = utcnow()
        valid: set[uuid.UUID] = set()
        async with self._sessionmaker() as session:
            await session.connection(execution_options={"logging_token": "tokens"})
            for i in range(0, len(ids), _CHUNK):
                rows = await session.execute(
                    select(ApiToken.id, ApiToken.expires_at).where(
                        ApiToken.id.in_(ids[i : i + _CHUNK])
                    )
                )
                valid.update(t for t, exp in rows if exp is None or exp > now)
        return set(ids) - valid
