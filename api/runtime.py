"""The long-lived objects one API process shares: engine, dispatcher, Redis, limiters, and
the capabilities built from them (cache, rooms, job launchers, notification delivery).

Built in the app's lifespan and handed to routes by dependency injection, never as globals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.db.session import make_engine, make_sessionmaker
from api.domain.accounts.known import KnownUsers
from api.domain.tokens.lookup import TokenLookup
from api.events import Dispatcher
from api.ratelimit import COMMENTS, EXPORTS, LOGIN_FAILURES, Limiter, Rule, make_limiter
from api.security import AuthUser
from api.settings import Settings

if TYPE_CHECKING:
    from api.cache import ReadCache
    from api.domain.exports.launcher import JobLauncher
    from api.domain.notifications.delivery import Delivery
    from api.rooms.hub import Hub

REDIS_SOCKET_TIMEOUT = 0.1  # contract §4: no request waits more than ~100 ms on Redis


def make_redis(url: str, **kwargs: Any) -> Redis:
    """A Redis client with short timeouts, so a slow or dead Redis cannot stall a request."""
    kwargs.setdefault("socket_timeout", REDIS_SOCKET_TIMEOUT)
    kwargs.setdefault("socket_connect_timeout", REDIS_SOCKET_TIMEOUT)
    # redis-py retries 3 times by default, which would multiply the bound.
    kwargs.setdefault("retry", Retry(NoBackoff(), 0))
    # Past its size the default pool raises at once; this one queues a caller for a while.
    kwargs.setdefault("max_connections", 64)
    kwargs.setdefault("timeout", kwargs["socket_timeout"])
    return Redis.from_pool(BlockingConnectionPool.from_url(url, **kwargs))


class Core:
    """What start-up builds first, from the settings alone: every capability is built from it
    (`api.app.assemble`), so none of them is ever half there."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        jwt_auth: JWTAuth[AuthUser, Token],
        redis: Redis | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.dispatcher = dispatcher
        self.jwt_auth = jwt_auth
        self.redis = redis
        self.accounts = KnownUsers(sessionmaker)
        self.tokens = TokenLookup(sessionmaker)
        self.closers: list[Callable[[], Awaitable[None]]] = []

    @classmethod
    def build(cls, settings: Settings, jwt_auth: JWTAuth[AuthUser, Token]) -> Core:
        # Failpoint `db.echo=1`: log every SQL statement (tests count queries with it).
        engine = make_engine(settings.database_url, echo=bool(settings.failpoints.get("db.echo")))
        # Failpoint `redis.timeout_ms=N`: a looser bound, for functional tests on a loaded machine.
        timeout = settings.failpoints.get("redis.timeout_ms") / 1000 or REDIS_SOCKET_TIMEOUT
        redis = (
            make_redis(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
            if settings.redis_url
            else None
        )
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            dispatcher=Dispatcher(),
            jwt_auth=jwt_auth,
            redis=redis,
        )

    async def aclose(self) -> None:
        for closer in reversed(self.closers):
            await closer()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


class Runtime:
    """The core and every capability, none optional: without Redis the cache is `NoCache`,
    the rooms a `MemoryBroker` and the job launchers this process.

    Not a dataclass on purpose: Litestar would try to parse a dataclass dependency.
    """

    def __init__(
        self,
        core: Core,
        *,
        cache: ReadCache,
        rooms: Hub,
        exports: JobLauncher,
        imports: JobLauncher,
        notifications: Delivery,
    ) -> None:
        self.core = core
        self.settings = core.settings
        self.engine = core.engine
        self.sessionmaker = core.sessionmaker
        self.dispatcher = core.dispatcher
        self.jwt_auth = core.jwt_auth
        self.redis = core.redis
        self.accounts = core.accounts
        self.tokens = core.tokens
        self.cache = cache
        self.rooms = rooms
        self.exports = exports
        self.imports = imports
        self.notifications = notifications
        self.login_limiter = make_limiter(core.redis, LOGIN_FAILURES)
        registrations = Rule("register", core.settings.register_limit, 3600)
        self.register_limiter: Limiter = make_limiter(core.redis, registrations)
        self.export_limiter = make_limiter(core.redis, EXPORTS)
        self.comment_limiter = make_limiter(core.redis, COMMENTS)

    async def aclose(self) -> None:
        await self.core.aclose()


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    """The app's runtime, for the two hot reads (contract §4).

    Everything else gets it by dependency injection; a cache hit takes it here because
    Litestar's dependency resolution costs about a tenth of a whole hit (bench/cache.py).
    """
    runtime: Runtime = connection.app.state.runtime
    return runtime
