"""Changes to a user's own world, sent to every socket of that user without subscribing.

A project shared with them (or their role in it changed), them removed, a project of theirs
created, renamed or deleted: one `me` frame per event, encoded once, over the same per-user
channel as notifications (on every replica), so a projects list stays current without
polling or joining every room.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from api.events import DomainEvent
from api.wire import MeFrame

logger = logging.getLogger(__name__)

PublishToUser = Callable[[uuid.UUID, bytes], Awaitable[None]]


def recipients(event: DomainEvent) -> set[uuid.UUID]:
    """Whose own world the event changes: the member added (or whose role changed), the one
    removed, every member of a project created, renamed or deleted."""
    match event.name:
        case "member:added":
            return {uuid.UUID(str(event.data["user_id"]))}
        case "member:removed":
            return set(event.revoked_ids)
        case "project:created" | "project:updated" | "project:deleted":
            return set(event.member_ids)
    return set()


class PersonalNews:
    """The dispatcher's effect: after the commit, each such event to the users it concerns."""

    def __init__(self, publish: PublishToUser) -> None:
        self.publish = publish

    async def on_events(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            users = list(recipients(event))
            if not users:
                continue
            frame = msgspec.json.encode(
                MeFrame(event=event.name, project_id=event.project_id, data=event.data)
            )
            # All at once: with Redis away, each waits out the publish bound (~100 ms), and a
            # project of many members must not make its rename wait for each in turn.
            sent = await asyncio.gather(
                *(self.publish(user_id, frame) for user_id in users), return_exceptions=True
            )
            failures = [outcome for outcome in sent if isinstance(outcome, BaseException)]
            if failures:  # best-effort, like every live frame: a reload heals
                logger.warning(
                    "could not send a me frame to %d users: %s", len(failures), failures[0]
                )
