"""The ceilings for bench/cache.py: bare Litestar routes that return ready JSON bytes.

`/bare`: no auth, no dependencies, no Redis: what the framework and server cost on their
own for a body of the same size (read from the file named by BENCH_BODY). `/bare-auth`: the
same behind Taskroom's JWT auth (secret from TASKROOM_SECRET_KEY), to show what auth costs.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from types import SimpleNamespace

from litestar import Litestar, MediaType, Response, get
from litestar.datastructures import State

from api.security import make_jwt_auth

BODY = Path(os.environ["BENCH_BODY"]).read_bytes()
JWT = make_jwt_auth(os.environ["TASKROOM_SECRET_KEY"], 3600)
JWT.exclude = ["^/bare$"]


@get(["/bare", "/bare-auth"], sync_to_thread=False)
def bare() -> Response[bytes]:
    return Response(BODY, media_type=MediaType.JSON)


class EveryoneKnown:
    """No database here: the auth middleware's account check always agrees, so `/bare-auth`
    costs the token alone (Taskroom's own check is one query a second per user)."""

    async def exists(self, user_id: uuid.UUID) -> bool:
        return True


app = Litestar(
    [bare],
    on_app_init=[JWT.on_app_init],
    debug=False,
    state=State({"runtime": SimpleNamespace(accounts=EveryoneKnown())}),
)
