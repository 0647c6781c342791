"""The ceiling for bench/cache.py: a bare Litestar route that returns ready JSON bytes.

No auth, no dependencies, no Redis: what the framework and server cost on their own for a
body of the same size (read from the file named by BENCH_BODY).
"""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, MediaType, Response, get

BODY = Path(os.environ["BENCH_BODY"]).read_bytes()


@get("/bare", sync_to_thread=False)
def bare() -> Response[bytes]:
    return Response(BODY, media_type=MediaType.JSON)


app = Litestar([bare], debug=False)
