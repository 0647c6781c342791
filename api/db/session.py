"""Engine, sessions and the unit of work that commits explicitly, then dispatches events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.events import Dispatcher, DomainEvent


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine with the per-dialect settings Taskroom relies on."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class UnitOfWork:
    """One request's transaction: services record events, `commit()` commits then dispatches.

    Effects (cache drops, room events, job enqueues) run strictly after the commit and
    before the response is sent, because the service awaits `commit()` itself.
    """

    def __init__(self, session: AsyncSession, dispatcher: Dispatcher) -> None:
        self.session = session
        self._dispatcher = dispatcher
        self._events: list[DomainEvent] = []
        self._held = False

    def record(self, *events: DomainEvent) -> None:
        self._events.extend(events)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Inside, `commit()` only flushes: the caller adds to the same transaction after the
        service is done (an idempotent write stores its answer), then commits itself."""
        self._held = True
        try:
            yield
        finally:
            self._held = False

    async def commit(self) -> None:
        if self._held:
            await self.session.flush()
            return
        events, self._events = self._events, []
        if events:
            events = await self._dispatcher.before_commit(self.session, events)
        await self.session.commit()
        await self._dispatcher.dispatch(events)

    async def rollback(self) -> None:
        self._events.clear()
        await self.session.rollback()


async def provide_uow(
    sessionmaker: async_sessionmaker[AsyncSession], dispatcher: Dispatcher
) -> AsyncIterator[UnitOfWork]:
    """Litestar dependency: a unit of work whose uncommitted changes are rolled back at the end."""
    async with sessionmaker() as session:
        uow = UnitOfWork(session, dispatcher)
        try:
            yield uow
        finally:
            await uow.rollback()
