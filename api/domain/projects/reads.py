"""The two hot reads as JSON bytes, through the cache when there is one (contract §4).

`GET /api/projects/{id}` is shared by every member, but its `role` is the caller's. The
shared body is the detail with `"role":null`; each response splices the caller's role in,
read from the `members` inside that very body (so a hit needs neither the database nor the
JSON encoder, and the membership check sees the same state as the body). The byte search
is exact because JSON escapes every `"` inside a string: `"role":null` and
`{"user_id":"…"` can only be the structure msgspec wrote, never text inside a name.
"""

from __future__ import annotations

import uuid

from litestar.serialization import encode_json

from api.cache.keys import PROJECT_TTL, PROJECTS_TTL, project_key, projects_key
from api.db.session import UnitOfWork
from api.domain.errors import NotFound
from api.domain.projects.authz import PROJECT_NOT_FOUND
from api.domain.projects.service import ProjectService
from api.runtime import Runtime

_NO_ROLE = b'"role":null'
_ROLE = b'"role":"'


async def project_list_body(runtime: Runtime, user_id: uuid.UUID) -> bytes:
    """The body of `GET /api/projects` for one user."""

    async def load() -> bytes:
        async with runtime.sessionmaker() as session:
            service = ProjectService(UnitOfWork(session, runtime.dispatcher))
            return encode_json(await service.list_for(user_id))

    return await runtime.cache.get_or_fill(projects_key(user_id), PROJECTS_TTL, load)


async def project_detail_body(runtime: Runtime, project_id: uuid.UUID) -> bytes:
    """The shared body of `GET /api/projects/{id}` (role null), for any member."""

    async def load() -> bytes:
        async with runtime.sessionmaker() as session:
            service = ProjectService(UnitOfWork(session, runtime.dispatcher))
            return encode_json(await service.detail(project_id, None))

    return await runtime.cache.get_or_fill(project_key(project_id), PROJECT_TTL, load)


async def project_detail_for(runtime: Runtime, project_id: uuid.UUID, user_id: uuid.UUID) -> bytes:
    """The body of `GET /api/projects/{id}` for one member (404 for anyone else)."""
    shared = await project_detail_body(runtime, project_id)
    return runtime.cache.member_view(shared, user_id, for_member)


def for_member(shared: bytes, user_id: uuid.UUID) -> bytes:
    """The caller's view of a shared detail body: their role spliced in; 404 for a non-member."""
    member = shared.find(b'{"user_id":"%s"' % str(user_id).encode())
    if member < 0:
        raise NotFound(detail=PROJECT_NOT_FOUND)
    start = shared.index(_ROLE, member) + len(_ROLE)
    role = shared[start : shared.index(b'"', start)]
    return shared.replace(_NO_ROLE, b'"role":"%s"' % role, 1)
