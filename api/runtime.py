"""The long-lived objects one API process shares: engine, dispatcher, Redis, limiter.

Built in the app's lifespan and handed to routes by dependency injection, never as globals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from litestar.security.jwt import JWTAuth, Token
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.db.session import make_engine, make_sessionmaker
from api.domain.accounts.ratelimit import LoginLimiter, MemoryLoginLimiter, RedisLoginLimiter
from api.events import Dispatcher
from api.security import AuthUser
from api.settings import Settings

if TYPE_CHECKING:
    from api.domain.exports.launcher import ExportLauncher
    from api.rooms.hub import Hub

REDIS_SOCKET_TIMEOUT = 0.1  # contract §4: no request waits more than ~100 ms on Redis


def make_redis(url: str, **kwargs: Any) -> Redis:
    """A Redis client with short timeouts, so a slow or dead Redis cannot stall a request."""
    kwargs.setdefault("socket_timeout", REDIS_SOCKET_TIMEOUT)
    kwargs.setdefault("socket_connect_timeout", REDIS_SOCKET_TIMEOUT)
    return Redis.from_url(url, **kwargs)


class Runtime:
    """Not a dataclass on purpose: Litestar would try to parse a dataclass dependency."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        jwt_auth: JWTAuth[AuthUser, Token],
        login_limiter: LoginLimiter,
        redis: Redis | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.dispatcher = dispatcher
        self.jwt_auth = jwt_auth
        self.login_limiter = login_limiter
        self.redis = redis
        self.closers: list[Callable[[], Awaitable[None]]] = []
        self.rooms: Hub | None = None  # set by api.rooms.endpoint.install
        self.exports: ExportLauncher | None = None  # set by the exports installer

    @classmethod
    def build(cls, settings: Settings, jwt_auth: JWTAuth[AuthUser, Token]) -> Runtime:
        engine = make_engine(settings.database_url)
        redis = make_redis(settings.redis_url) if settings.redis_url else None
        limiter: LoginLimiter = RedisLoginLimiter(redis) if redis else MemoryLoginLimiter()
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            dispatcher=Dispatcher(),
            jwt_auth=jwt_auth,
            login_limiter=limiter,
            redis=redis,
        )

    async def aclose(self) -> None:
        for closer in reversed(self.closers):
            await closer()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
