"""After the commit: each new notification to its user's sockets, and to email if wanted.

Shared by the API (its dispatcher's effect) and the worker (the due-soon scan), which
differ only in how a frame reaches the user's channel and how an email is launched.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.notifications.recorder import NOTIFIED
from api.domain.notifications.schemas import load, unread_count
from api.events import DomainEvent
from api.wire import NotificationFrame, UnreadFrame

logger = logging.getLogger(__name__)

# Sends one encoded frame to every socket of a user, on every replica.
PublishToUser = Callable[[uuid.UUID, bytes], Awaitable[None]]


class MailLauncher(Protocol):
    async def launch(self, notification_id: uuid.UUID) -> None: ...

    async def aclose(self) -> None: ...


class Delivery:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        publish: PublishToUser,
        mail: MailLauncher | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.publish = publish
        self.mail = mail

    async def deliver(self, ids: Sequence[uuid.UUID]) -> None:
        """Frames first (with each user's unread count as committed), then the email jobs."""
        if not ids:
            return
        async with self.sessionmaker() as session:
            loaded = await load(session, ids)
            counts = {
                user_id: await unread_count(session, user_id)
                for user_id in {row.user_id for row, _ in loaded}
            }
        for row, out in loaded:
            frame = NotificationFrame(data=out, unread=counts[row.user_id])
            await self._send(row.user_id, msgspec.json.encode(frame))
        if self.mail is not None:
            for row, _ in loaded:
                if row.email == "pending":
                    await self.mail.launch(row.id)

    async def unread_changed(self, user_ids: Iterable[uuid.UUID]) -> None:
        """Tell every socket of these users their new unread count (read elsewhere, left)."""
        user_ids = set(user_ids)
        if not user_ids:
            return
        async with self.sessionmaker() as session:
            counts = {u: await unread_count(session, u) for u in user_ids}
        for user_id, count in counts.items():
            await self._send(user_id, msgspec.json.encode(UnreadFrame(count=count)))

    async def _send(self, user_id: uuid.UUID, frame: bytes) -> None:
        try:
            await self.publish(user_id, frame)
        except Exception as exc:  # live news is best-effort; the inbox has it anyway
            logger.warning("could not send a frame to user %s: %s", user_id, exc)

    async def on_events(self, events: Sequence[DomainEvent]) -> None:
        """The dispatcher's effect: deliver what the pre-commit hook wrote; a user who lost
        a project (removed, or it was deleted) hears their smaller count."""
        ids = [uuid.UUID(i) for e in events for i in e.extra.get(NOTIFIED, ())]
        await self.deliver(ids)
        await self.unread_changed(u for e in events for u in e.revoked_ids)
