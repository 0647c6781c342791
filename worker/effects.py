"""The worker's dispatcher: what its units of work do before and after they commit.

The worker has no Litestar app, yet its writes (a job's state and progress, an import's
tasks) are domain events like the API's: numbered inside the transaction by the rooms'
pre-commit hook, then, after the commit, the cached bodies they touch are dropped (as the
API's cache does) and they are published into the project's room stream with the rooms'
framework-free publisher, so every subscriber on every replica gets them in commit order.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence

from redis.asyncio import Redis

from api.cache import CacheStore
from api.domain.activity.recorder import activity_hook
from api.domain.notifications.delivery import PublishToUser
from api.events import Dispatcher, DomainEvent
from api.rooms.publisher import RoomPublisher, user_channel
from api.rooms.sequence import assign_sequence


def user_publisher(redis: Redis) -> PublishToUser:
    """Notification frames from the worker (the due-soon scan) to the user's channel."""

    async def publish(user_id: uuid.UUID, frame: bytes) -> None:
        await redis.publish(user_channel(user_id), frame)

    return publish


def room_dispatcher(redis: Redis, cache: CacheStore) -> Dispatcher:
    rooms = RoomPublisher(redis)

    async def publish(events: Sequence[DomainEvent]) -> None:
        for event in events:
            with contextlib.suppress(Exception):  # progress news must never fail an export
                await rooms.publish(event)

    dispatcher = Dispatcher()
    dispatcher.register_pre_commit(assign_sequence)
    dispatcher.register_pre_commit(activity_hook())
    dispatcher.register(cache.on_events)
    dispatcher.register(publish)
    return dispatcher
