"""create_app(): the one place that wires settings, plugins, routes and the lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Tag
from sqlalchemy.exc import DBAPIError, IntegrityError

from api import cache, docs, logs, metrics
from api.db.session import UnitOfWork, provide_uow
from api.domain import idempotency
from api.domain.accounts.controller import AuthController, MeController
from api.domain.activity import recorder as activity_recorder
from api.domain.activity.controller import ActivityController
from api.domain.checklist.controller import ChecklistController
from api.domain.comments.controller import CommentController
from api.domain.errors import DomainError, status_of
from api.domain.exports import launcher as exports_launcher
from api.domain.exports.controller import ExportController
from api.domain.imports import launcher as imports_launcher
from api.domain.imports.controller import ImportController
from api.domain.labels.controller import LabelController
from api.domain.notifications import launcher as notifications_launcher
from api.domain.notifications.controller import NotificationController
from api.domain.projects.controller import ProjectController
from api.domain.search.controller import SearchController
from api.domain.ssh_keys.controller import SshGatewayController, SshKeyController
from api.domain.tasks.controller import TaskController
from api.domain.tokens.controller import TokenController
from api.domain.views.controller import ViewController
from api.health import VERSION, health
from api.request_id import RequestIdMiddleware, add_header
from api.request_line import RequestTargetLimit
from api.rooms.endpoint import install as install_rooms
from api.rooms.endpoint import room_socket
from api.runtime import Core, Runtime
from api.security import make_jwt_auth
from api.settings import Settings

logger = logging.getLogger(__name__)


def _runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


async def _uow(state: State) -> AsyncIterator[UnitOfWork]:
    runtime = _runtime(state)
    async for uow in provide_uow(runtime.sessionmaker, runtime.dispatcher):
        yield uow


def _error(status: int, detail: str) -> Response[Any]:
    return Response({"status_code": status, "detail": detail}, status_code=status)


def _integrity_error(_request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A constraint the input broke (a race on a unique name, a vanished row): 409, not 500."""
    return _error(409, "Conflict with the current state; retry")


# SQLSTATEs of a transaction PostgreSQL aborted to let a concurrent one through.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def _database_error(_request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A concurrent write won a race (deadlock, serialization, SQLite busy): 409 to retry."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(exc.orig):
        return _error(409, "A concurrent change got in the way; retry")
    logger.error("database error", exc_info=exc)
    return _error(500, "Internal Server Error")


def _domain_error(_request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """Every domain refusal becomes its status here, in contract §3's error shape."""
    status = status_of(exc)
    body: dict[str, Any] = {"status_code": status, "detail": exc.detail}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=status, headers=exc.headers)


def _too_deep(_request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """msgspec raises RecursionError (not a DecodeError) on absurdly nested JSON: bad input."""
    return _error(400, "JSON is nested too deeply")


def _not_utf8(_request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    """msgspec raises UnicodeDecodeError (not a DecodeError) on invalid UTF-8 inside a JSON
    string: bad input, 400 (contract §7)."""
    return _error(400, "The body is not valid UTF-8")


async def assemble(core: Core) -> Runtime:
    """Each capability built from the core, registering its effects on the dispatcher and its
    closers: in this order, which is the order the effects of a commit run in."""
    read_cache = await cache.install(core)
    rooms = await install_rooms(core)
    exports = await exports_launcher.install(core)
    imports = await imports_launcher.install(core)
    await activity_recorder.install(core)
    notifications = await notifications_launcher.install(core, rooms)
    await metrics.install(core)
    await idempotency.install(core)
    return Runtime(
        core,
        cache=read_cache,
        rooms=rooms,
        exports=exports,
        imports=imports,
        notifications=notifications,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    jwt_auth = make_jwt_auth(settings.secret_key, settings.token_ttl_seconds)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime = await assemble(Core.build(settings, jwt_auth))
        app.state.runtime = runtime
        # What start-up built lives as long as the process: taken out of the collector's
        # generations, a full collection scans only what came later (~2 ms, not ~70 ms:
        # without this those pauses were the p99 of a cache hit, bench/cache.py).
        gc.freeze()
        try:
            yield
        finally:
            await runtime.aclose()

    return Litestar(
        route_handlers=[
            AuthController,
            MeController,
            ProjectController,
            TaskController,
            CommentController,
            LabelController,
            ChecklistController,
            ActivityController,
            SearchController,
            ViewController,
            NotificationController,
            SshKeyController,
            SshGatewayController,
            TokenController,
            ExportController,
            ImportController,
            health,
            room_socket,
        ],
        dependencies={
            "runtime": Provide(_runtime, sync_to_thread=False),
            "uow": Provide(_uow),
        },
        on_app_init=[jwt_auth.on_app_init],
        plugins=[metrics.MetricsPlugin()] if settings.metrics else [],
        middleware=[RequestIdMiddleware(), RequestTargetLimit()],
        before_send=[add_header],
        logging_config=logs.logging_config(),
        lifespan=[lifespan],
        exception_handlers={
            DomainError: _domain_error,
            IntegrityError: _integrity_error,
            DBAPIError: _database_error,
            RecursionError: _too_deep,
            UnicodeDecodeError: _not_utf8,
        },
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Taskroom API",
            version=VERSION,
            description=docs.DESCRIPTION,
            path=docs.PATH,
            openapi_router=docs.router(),
            render_plugins=docs.render_plugins(),
            tags=[
                Tag(name="accounts", description="Register, log in, who am I"),
                Tag(name="projects", description="Projects and their members"),
                Tag(name="tasks", description="Tasks inside a project"),
                Tag(name="comments", description="Comments on a task"),
                Tag(name="labels", description="A project's labels, put on its tasks"),
                Tag(name="checklist", description="Items to tick on a task"),
                Tag(name="activity", description="The history of a project and its tasks"),
                Tag(name="search", description="Tasks across every project of the caller"),
                Tag(name="views", description="A user's saved filters"),
                Tag(name="notifications", description="Your inbox: mentions, assignments, …"),
                Tag(name="ssh-keys", description="Public keys for logging in over SSH"),
                Tag(name="tokens", description="Personal access tokens for scripts and the CLI"),
                Tag(name="exports", description="Project exports to CSV, JSON, Markdown"),
                Tag(name="imports", description="Tasks from a file: Taskroom JSON or CSV, Trello"),
                Tag(name="health", description="Service status"),
            ],
        ),
        debug=False,
    )


__all__ = ["HTTPException", "create_app"]
