"""How the worker process announces `export:updated` (it has no Litestar app of its own).

Through the rooms' framework-free publisher: the event lands in the project's room stream
exactly as the API's own events do, so every subscriber on every replica gets it.
"""

from __future__ import annotations

import contextlib

from redis.asyncio import Redis

from api.domain.exports.engine import Notify
from api.events import DomainEvent
from api.rooms.publisher import RoomPublisher


def room_notifier(redis: Redis) -> Notify:
    rooms = RoomPublisher(redis)

    async def publish(event: DomainEvent) -> None:
        with contextlib.suppress(Exception):  # progress news must never fail an export
            await rooms.publish(event)

    return publish
