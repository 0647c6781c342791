"""GET /health: database and Redis status (503 only when the database is down)."""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from typing import Literal

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.response import Response
from sqlalchemy import text

from api.openapi import PublicOperation
from api.runtime import Runtime
from api.wire import Health

VERSION = version("taskroom")


async def redis_status(runtime: Runtime) -> Literal["ok", "down", "disabled"]:
    if runtime.redis is None:
        return "disabled"
    # The cache's breaker bounds the wait and knows an outage at once.
    return "ok" if await runtime.cache.reachable() else "down"


@get(
    "/health",
    summary="Liveness and dependency status",
    tags=["health"],
    exclude_from_auth=True,
    operation_class=PublicOperation,
    responses={503: ResponseSpec(data_container=Health, description="The database is down")},
)
async def health(runtime: NamedDependency[Runtime]) -> Response[Health]:
    try:
        async with runtime.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
        database = "ok"
    except Exception:
        database = "down"
    redis = await redis_status(runtime)
    status: Literal["ok", "degraded"] = "ok" if database == "ok" and redis != "down" else "degraded"
    body = Health(status=status, database=database, redis=redis, version=VERSION)
    return Response(body, status_code=200 if database == "ok" else 503)
