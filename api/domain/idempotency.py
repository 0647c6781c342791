"""`Idempotency-Key` on the writes (task create, update, delete; comment create): a retried
request is applied once, and every retry gets the first answer.

The key is a row of `idempotency_keys`, inserted before the write and given its answer in the
write's own transaction (the unit of work is held, so the service's commit waits for it): a
retry sees the row exactly when the write committed, on any replica, Redis or not. Two
requests with one key at once: the second's insert waits on the first's uncommitted row (the
unique key on PostgreSQL, the one writer on SQLite), then finds it and replays it; if the
first failed, nothing was stored and the second applies. Only successes are stored: a refused
write changed nothing, so it may be tried again. Keys last 24 hours (`purge`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.background import Background
from api.db.models import IdempotencyRecord, utcnow
from api.db.session import UnitOfWork
from api.domain.deps import IDEMPOTENCY_KEY_PATTERN, AuthRequest
from api.domain.errors import Conflict, Unprocessable
from api.runtime import Core

logger = logging.getLogger(__name__)

T = TypeVar("T")
TTL = dt.timedelta(hours=24)
PURGE_EVERY = 3600.0  # seconds
REUSED = "This Idempotency-Key was used for a different request"
IN_PROGRESS = "A request with this Idempotency-Key is still in progress; retry"

WriteKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description=(
            "Same key from the same caller within 24 h: applied once, the first answer again;"
            " with another method, path or body: 422."
        ),
    ),
]


class Idempotent:
    """One request's key (or none): `run` applies the write once per key."""

    def __init__(self, request: AuthRequest, uow: UnitOfWork, key: str | None) -> None:
        self.request = request
        self.uow = uow
        self.key = key

    def _hash(self, body: Any) -> str:
        text = msgspec.json.encode(
            [self.request.method, self.request.url.path, body], order="sorted"
        )
        return hashlib.sha256(text).hexdigest()

    async def run(self, body: Any, answer: type[T], write: Callable[[], Awaitable[T]]) -> T:
        """`write()` once per key; a retry gets its answer decoded as `answer`."""
        if self.key is None:
            return await write()
        session, user_id = self.uow.session, self.request.user.id
        request_hash = self._hash(body)
        # An expired key is free again (the purge may not have run yet); the first write also
        # takes SQLite's write lock before anything is read.
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id,
                IdempotencyRecord.key == self.key,
                IdempotencyRecord.created_at < utcnow() - TTL,
            )
        )
        record = IdempotencyRecord(user_id=user_id, key=self.key, request_hash=request_hash)
        session.add(record)
        try:
            await session.flush()
        except IntegrityError:
            await self.uow.rollback()
            return await self._replay(session, request_hash, answer)
        with self.uow.held():
            result = await write()
        record.response = msgspec.json.encode(result).decode()
        await self.uow.commit()
        return result

    async def _replay(self, session: AsyncSession, request_hash: str, answer: type[T]) -> T:
        record = await session.get(IdempotencyRecord, (self.request.user.id, self.key))
        if record is None or record.response is None:  # gone since (expired, purged)
            raise Conflict(IN_PROGRESS)
        if record.request_hash != request_hash:
            raise Unprocessable(REUSED)
        return msgspec.json.decode(record.response, type=answer)


async def provide_idempotent(
    request: AuthRequest, uow: NamedDependency[UnitOfWork], idempotency_key: WriteKey = None
) -> Idempotent:
    return Idempotent(request, uow, idempotency_key)


async def purge(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Delete the keys older than 24 h (the worker's upkeep); returns how many."""
    async with sessionmaker() as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - TTL)
        )
        await session.commit()
    removed: int = getattr(result, "rowcount", 0)
    if removed:
        logger.info("purged %d idempotency keys", removed)
    return removed


async def _purge_hourly(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    while True:
        try:
            await purge(sessionmaker)
        except Exception:
            logger.warning("could not purge idempotency keys", exc_info=True)
        await asyncio.sleep(PURGE_EVERY)


async def install(core: Core) -> None:
    """Without Redis there is no worker and no upkeep cron: this process purges the keys."""
    if core.redis is None:
        loop = Background()
        loop.spawn(_purge_hourly(core.sessionmaker), "idempotency-purge")
        core.closers.append(loop.aclose)
