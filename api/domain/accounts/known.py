"""Whether a token's user still has an account: tokens are stateless, rows can go.

A token stays valid until it expires even when its user's row is deleted, so every
authenticated request (the auth middleware, `api.security`) and every open socket (the rooms
hub's sweep) asks here. An answer is trusted for `RECHECK` seconds, so a busy user costs one
primary-key query a second, and a deleted one is refused everywhere within that second.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import User

RECHECK = 1.0
_CHUNK = 500  # ids per query (SQLite caps bound parameters)
_MAX_REMEMBERED = 100_000


class KnownUsers:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._confirmed: dict[uuid.UUID, float] = {}  # user id -> when its row was last seen
        self._asking: dict[uuid.UUID, asyncio.Future[set[uuid.UUID]]] = {}

    async def exists(self, user_id: uuid.UUID) -> bool:
        """One question in flight per user: when the second is up, the requests arriving
        together share one query instead of each taking a pooled connection for it."""
        if time.monotonic() - self._confirmed.get(user_id, -RECHECK) < RECHECK:
            return True
        asking = self._asking.get(user_id)
        if asking is None:
            asking = asyncio.ensure_future(self.missing([user_id]))
            self._asking[user_id] = asking
            asking.add_done_callback(lambda _: self._asking.pop(user_id, None))
        # Shielded: a caller that goes away does not cancel the others' answer.
        return not await asyncio.shield(asking)

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
