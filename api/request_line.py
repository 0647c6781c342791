"""A bound on the request target (path and query), answered in the contract's error shape.

uvicorn takes a request line of up to 64 KiB (httptools parses URLs with 16-bit offsets) and
answers a longer one itself, in plain text, before the app sees it (README, "Limits on a
request"). Below that, the app refuses what no client of ours sends: a target longer than
nginx's default request-line buffer (8 KiB), the same answer behind the proxy and without it.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

MAX_TARGET_BYTES = 8 * 1024


class URITooLongException(HTTPException):
    status_code = 414


class RequestTargetLimit(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = scope["query_string"]
        target = len(scope["raw_path"]) + (len(query) + 1 if query else 0)  # "path?query"
        if target > MAX_TARGET_BYTES:
            raise URITooLongException(
                detail=f"The request target is {target} bytes; at most {MAX_TARGET_BYTES}"
            )
        await next_app(scope, receive, send)
