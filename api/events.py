"""Domain events and the after-commit dispatcher.

Every write records what changed as `DomainEvent`s on its unit of work. Only after the
database commit does the dispatcher hand them, in order, to the effects that care (the
cache drops keys, the room broker publishes). A rolled-back transaction therefore has no
effect by construction, and no controller calls the cache or the broker itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api.wire import Actor, EventName

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """One committed change of a project, as contract §5 names it.

    `member_ids` are the users whose project list the change touches: every member at
    the time of the change, including one who was just removed.
    """

    name: EventName
    project_id: uuid.UUID
    data: dict[str, Any]
    actor: Actor | None
    member_ids: tuple[uuid.UUID, ...] = ()
    # Users who lose access with this event (removed member, deleted project's members).
    revoked_ids: tuple[uuid.UUID, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


Effect = Callable[[Sequence[DomainEvent]], Awaitable[None]]
# Runs inside the transaction just before COMMIT and may return the events enriched
# (e.g. with a per-project sequence number taken under a row lock); an error rolls back.
PreCommitHook = Callable[["AsyncSession", list[DomainEvent]], Awaitable[list[DomainEvent]]]


class Dispatcher:
    """Runs every registered effect on each committed batch of events, in registration order."""

    def __init__(self) -> None:
        self._effects: list[Effect] = []
        self._pre_commit: list[PreCommitHook] = []

    def register(self, effect: Effect) -> None:
        self._effects.append(effect)

    def register_pre_commit(self, hook: PreCommitHook) -> None:
        self._pre_commit.append(hook)

    async def before_commit(
        self, session: AsyncSession, events: list[DomainEvent]
    ) -> list[DomainEvent]:
        for hook in self._pre_commit:
            events = await hook(session, events)
        return events

    async def dispatch(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        for effect in self._effects:
            try:
                await effect(events)
            except Exception:  # an effect must never undo a committed write
                logger.exception("effect %r failed", effect)
