"""Runs the SSH gateway with a given app command (tests use it with `ssh_probe_app`).

`python -m tests.ssh_gateway PORT SERVER_URL MAX_SESSIONS IDLE_TIMEOUT TOKEN_TTL MAX_UNAUTHENTICATED
MAX_UNAUTHENTICATED_PER_ADDRESS SESSION_MAX_MB -- APP ARGV…`, with
TASKROOM_DATA_DIR and TASKROOM_SECRET_KEY in the environment, like `taskroom ssh-serve`.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from api.settings import Settings
from sshd.server import GatewayConfig, serve


def main() -> None:
    port, server_url, max_sessions, idle_timeout, token_ttl, *rest = sys.argv[1:]
    max_unauthenticated, per_address, session_max_mb, sep, *app_argv = rest
    assert sep == "--"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    config = GatewayConfig(
        server_url=server_url,
        secret_key=settings.secret_key,
        data_dir=settings.data_dir,
        app_argv=app_argv,
        host="127.0.0.1",
        port=int(port),
        max_sessions=int(max_sessions),
        idle_timeout=float(idle_timeout),
        token_ttl=float(token_ttl),
        failure_delay=0.5,
        max_unauthenticated=int(max_unauthenticated),
        max_unauthenticated_per_address=int(per_address),
        session_max_mb=float(session_max_mb),
        memory_check_interval=0.5,
    )
    asyncio.run(serve(config))


if __name__ == "__main__":
    main()
