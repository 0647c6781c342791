"""The app's route table, for the tests that must cover every route: a new route without a row
in them fails those tests instead of going untested.
"""

from __future__ import annotations

import re
import tempfile
from functools import cache

from litestar.routes import HTTPRoute

from api import docs
from api.app import create_app
from api.settings import Settings

Route = tuple[str, str]  # (METHOD, path spelled as in OpenAPI: `/api/tasks/{task_id}`)


@cache
def app_routes() -> frozenset[Route]:
    """Every HTTP route the app serves, read from Litestar's route table (no server needed).

    Built with every optional route on (`TASKROOM_METRICS=1`: `/metrics`). Left out: the
    `OPTIONS` Litestar answers on every path, and the docs pages under `/schema` (public by
    design, tested in test_openapi.py). `/ws` is a websocket route, not in the table's HTTP
    routes; its authentication is tested in test_rooms.py.
    """
    settings = Settings.from_env(
        {
            "TASKROOM_DATA_DIR": tempfile.gettempdir(),
            "TASKROOM_SECRET_KEY": "route-table-only-" * 3,
            "TASKROOM_DATABASE_URL": "sqlite+aiosqlite:///:memory:",
            "TASKROOM_METRICS": "1",
        },
        dotenv=False,
    )
    routes: set[Route] = set()
    for route in create_app(settings).routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(docs.PATH):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        routes.update((method, path) for method in route.methods if method != "OPTIONS")
    return frozenset(routes)
