"""Whether a token's user still has an account: tokens are stateless, rows can go.

A token stays valid until it expires even when its user's row is deleted, so every
authenticated request (the app-wide guard below) and every open socket (the rooms hub's
sweep) asks here. An answer is trusted for `RECHECK` seconds, so a busy user costs one
primary-key query a second, and a deleted one is refused everywhere within that second.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import User
from api.security import AuthUser

RECHECK = 1.0
_CHUNK = 500  # ids per query (SQLite caps bound parameters)
_MAX_REMEMBERED = 100_000


class KnownUsers:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._confirmed: dict[uuid.UUID, float] = {}  # user id -> when its row was last seen

    async def exists(self, user_id: uuid.UUID) -> bool:
        return not await self.missing([user_id])

    async def missing(self, user_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `user_ids` whose row is gone (one query per 500 not confirmed lately)."""
        now = time.monotonic()
        unsure = [u for u in set(user_ids) if now - self._confirmed.get(u, -RECHECK) >= RECHECK]
        if not unsure:
            return set()
        found: set[uuid.UUID] = set()
        async with self._sessionmaker() as session:
            # Tagged `[accounts]` in the statement log, apart from the reads a request makes.
            await session.connection(execution_options={"logging_token": "accounts"})
            for i in range(0, len(unsure), _CHUNK):
                chunk = unsure[i : i + _CHUNK]
                found.update(await session.scalars(select(User.id).where(User.id.in_(chunk))))
        if len(self._confirmed) > _MAX_REMEMBERED:
            self._confirmed = {u: t for u, t in self._confirmed.items() if now - t < RECHECK}
        for user_id in unsure:
            if user_id in found:
                self._confirmed[user_id] = now
            else:
                self._confirmed.pop(user_id, None)
        return set(unsure) - found


async def require_account(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """App-wide guard: an authenticated caller whose account is gone gets 401, not a 409."""
    user = connection.scope.get("user")
    if isinstance(user, AuthUser):
        accounts: KnownUsers = connection.app.state.runtime.accounts
        if not await accounts.exists(user.id):
            raise NotAuthorizedException(detail="This account no longer exists")
