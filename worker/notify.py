"""How the worker process announces `export:updated` (it has no Litestar app of its own).

The one place to switch to the rooms publisher once it exists: until then the event goes
out as JSON on the Redis pub/sub channel `taskroom:events`.
"""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from api.events import DomainEvent

CHANNEL = "taskroom:events"


async def publish(redis: Redis, event: DomainEvent) -> None:
    body = msgspec.json.encode(
        {
            "event": event.name,
            "room": f"project:{event.project_id}",
            "data": event.data,
            "actor": event.actor,
        }
    )
    await redis.publish(CHANNEL, body)
