"""The pre-commit hook that turns a transaction's domain events into notifications.

Like the activity history, notifications are derived from the events every write already
records, inside the same transaction: a rolled-back change notifies no one, and a
committed one always has its notifications. Delivery (socket frames, email) comes after the
commit (`delivery.py`), from the ids this hook leaves on each event.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Membership, Notification, Task, User, utcnow
from api.domain.activity.recorder import CHANGES, IMPORTED
from api.domain.notifications.mentions import added_mentions, mentioned
from api.domain.notifications.schemas import insert_or_skip
from api.events import DomainEvent, PreCommitHook
from api.wire import Actor, NotificationKind

NOTIFIED = "notified"  # DomainEvent.extra: ids (str) of the notifications the event created


@dataclass(frozen=True)
class Draft:
    """A notification to write; `dedupe` (unique) makes a repeat of it a no-op."""

    user_id: uuid.UUID
    kind: NotificationKind
    project_id: uuid.UUID
    task_id: uuid.UUID | None
    actor: Actor | None
    dedupe: str | None = None


def _uuid(raw: Any) -> uuid.UUID | None:
    return uuid.UUID(str(raw)) if raw else None


async def _members_named(
    session: AsyncSession, project_id: uuid.UUID, names: Iterable[str]
) -> list[uuid.UUID]:
    """The ids of the project's members among these usernames (others are no one to tell)."""
    names = set(names)
    if not names:
        return []
    rows = await session.scalars(
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id, User.username.in_(names))
    )
    return list(rows)


async def drafts_for(session: AsyncSession, event: DomainEvent) -> list[Draft]:
    """Who this event notifies (contract §8), never the actor themself; an imported task no
    one (a board of a thousand cards would be a thousand notifications)."""
    if IMPORTED in event.extra:
        return []
    actor = event.actor
    actor_id = actor.id if actor else None
    data, changes = event.data, event.extra.get(CHANGES, {})
    out: list[Draft] = []

    def add(user_id: uuid.UUID | None, kind: NotificationKind, task_id: Any, key: str = "") -> None:
        if user_id is not None and user_id != actor_id:
            dedupe = f"{key}:{user_id}" if key else None
            out.append(Draft(user_id, kind, event.project_id, _uuid(task_id), actor, dedupe))

    match event.name:
        case "task:created" | "task:updated":
            task_id = data.get("id")
            if event.name == "task:created":
                assignee: uuid.UUID | None = _uuid(data.get("assignee_id"))
                names = mentioned(data.get("description"))
            else:
                assignee = _uuid(changes["assignee_id"][1]) if "assignee_id" in changes else None
                names = added_mentions(*changes.get("description", ("", "")))
            add(assignee, "assigned", task_id)
            for user_id in await _members_named(session, event.project_id, names):
                add(user_id, "mentioned", task_id)
        case "comment:created" | "comment:updated":
            comment_id, task_id = data.get("id"), data.get("task_id")
            if event.name == "comment:created":
                names = mentioned(data.get("body"))
            else:
                names = added_mentions(*changes.get("body", ("", "")))
            told = set(await _members_named(session, event.project_id, names))
            for user_id in told:  # once per comment, however often an edit adds it back
                add(user_id, "mentioned", task_id, f"mentioned:{comment_id}")
            if event.name == "comment:created":
                task = await session.get(Task, _uuid(task_id))
                if task is not None:
                    for someone in {task.created_by, task.assignee_id} - told:
                        add(someone, "commented", task_id, f"commented:{comment_id}")
    return out


async def write(
    session: AsyncSession, drafts: Sequence[Draft], email_on: bool
) -> list[tuple[uuid.UUID, Draft]]:
    """Insert the drafts; those whose `dedupe` exists already are skipped (no error).

    `email_on`: mail is configured, so a recipient who asked for instant email gets one.
    """
    if not drafts:
        return []
    instant: set[uuid.UUID] = set()
    if email_on:
        instant = set(
            await session.scalars(
                select(User.id).where(
                    User.id.in_({d.user_id for d in drafts}),
                    User.email_notifications == "instant",
                    User.email.is_not(None),
                )
            )
        )
    now = utcnow()
    ids = [uuid.uuid4() for _ in drafts]
    rows: list[dict[str, Any]] = [
        {
            "id": i,
            "user_id": d.user_id,
            "project_id": d.project_id,
            "task_id": d.task_id,
            "kind": d.kind,
            "actor_id": d.actor.id if d.actor else None,
            "actor_username": d.actor.username if d.actor else None,
            "at": now,
            "dedupe": d.dedupe,
            "email": "pending" if d.user_id in instant else None,
        }
        for i, d in zip(ids, drafts, strict=True)
    ]
    written = set(await session.scalars(insert_new(session, rows)))
    return [(i, d) for i, d in zip(ids, drafts, strict=True) if i in written]


def insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> Any:
    """The rows `dedupe` lets through, by id."""
    stmt = insert_or_skip(session, Notification).values(rows)
    return stmt.on_conflict_do_nothing().returning(Notification.id)


def notifications_hook(email_on: bool) -> PreCommitHook:
    async def record_notifications(
        session: AsyncSession, events: list[DomainEvent]
    ) -> list[DomainEvent]:
        """One INSERT for the whole transaction: a bulk assignment of 500 tasks is one
        statement, not 500. Each event then carries the ids of the notifications it made."""
        drafted = [await drafts_for(session, event) for event in events]
        created = await write(session, [d for drafts in drafted for d in drafts], email_on)
        written = {id(draft): str(i) for i, draft in created}
        out = []
        for event, drafts in zip(events, drafted, strict=True):
            ids = [written[id(d)] for d in drafts if id(d) in written]
            out.append(
                dataclasses.replace(event, extra={**event.extra, NOTIFIED: ids}) if ids else event
            )
        return out

    return record_notifications
