"""Cache keys, TTLs and which keys each committed event drops (contract §4), as data.

A new kind of change is one row in `DROPS`; nothing else in the code decides what to drop.
The `v1:` prefix is the schema version: bumping it retires every old entry at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence

from api.events import DomainEvent
from api.wire import EventName

PREFIX = "v1:"
PROJECT_TTL = 120  # seconds, `GET /api/projects/{id}`
PROJECTS_TTL = 300  # seconds, `GET /api/projects`
# A generation key outlives any fill that could have read it (fills take milliseconds).
GENERATION_TTL = 3600


def project_key(project_id: uuid.UUID) -> str:
    return f"{PREFIX}project:{project_id}"


def projects_key(user_id: uuid.UUID) -> str:
    return f"{PREFIX}projects:user:{user_id}"


def generation_key(key: str) -> str:
    """The counter a drop bumps so that a fill which read the old one cannot store (store.py)."""
    return f"{PREFIX}gen:{key.removeprefix(PREFIX)}"


KeysOf = Callable[[DomainEvent], Iterable[str]]


def _project(event: DomainEvent) -> Iterable[str]:
    return (project_key(event.project_id),)


def _member_lists(event: DomainEvent) -> Iterable[str]:
    return (projects_key(user_id) for user_id in event.member_ids)


def _imported(event: DomainEvent) -> Iterable[str]:
    """A finished import's tasks are in the project body and its counts from its commit on,
    before their own `task:created` events follow; its other updates touch no cached body."""
    if event.data.get("status") != "COMPLETED":
        return ()
    return (*_project(event), *_member_lists(event))


# Contract §4. A deleted project's own key goes too: its cached members would otherwise
# keep answering for a project that no longer exists until the TTL runs out.
DROPS: dict[EventName, tuple[KeysOf, ...]] = {
    "project:created": (_member_lists,),
    "project:deleted": (_project, _member_lists),
    "project:updated": (_project, _member_lists),
    "member:added": (_project, _member_lists),
    "member:removed": (_project, _member_lists),
    "task:created": (_project, _member_lists),
    "task:updated": (_project, _member_lists),
    "task:deleted": (_project, _member_lists),
    "import:updated": (_imported,),
    # A task's comment_count is in the project body; the lists hold no task data.
    "comment:created": (_project,),
    "comment:updated": (_project,),
    "comment:deleted": (_project,),
    # Labels are in the project body (its `labels`); the lists hold none.
    "label:created": (_project,),
    "label:updated": (_project,),
    "label:deleted": (_project,),
}


def keys_to_drop(events: Sequence[DomainEvent]) -> list[str]:
    """Every key a committed batch touches, each once, in a stable order."""
    keys: dict[str, None] = {}
    for event in events:
        for keys_of in DROPS.get(event.name, ()):
            keys.update(dict.fromkeys(keys_of(event)))
    return list(keys)
