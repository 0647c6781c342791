"""A request id on every log line of a request, and in its response as `X-Request-Id`.

The caller's `X-Request-Id` (a proxy's, a client's) is kept when it is a sane token, else one
is made here. The middleware holds it in a context variable for the request's task, so every
log line of the request, and of the tasks it starts (its events' effects, run after the commit
in the same task), carries it (api/logs.py). A `before_send` hook puts it in the response,
also when the answer comes from outside any route (a 404, a refused token).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
# Letters, digits and `._:-`: no spaces, quotes or control characters to forge a log line.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_STATE_KEY = "request_id"

current: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id(scope: Scope) -> str:
    """The request's id: taken or made once, then kept in the scope's state."""
    state = scope["state"]
    found: str | None = state.get(_STATE_KEY)
    if found is None:
        given = Headers.from_scope(scope).get(HEADER)
        found = given if given is not None and _SANE.fullmatch(given) else uuid.uuid4().hex
        state[_STATE_KEY] = found
    return found


class RequestIdMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        token = current.set(request_id(scope))
        try:
            await next_app(scope, receive, send)
        finally:
            current.reset(token)


async def add_header(message: Message, scope: Scope) -> None:
    """The app's `before_send` hook: every HTTP response says its request's id."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[HEADER] = request_id(scope)
