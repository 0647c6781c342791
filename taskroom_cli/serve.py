"""`taskroom serve` and `taskroom db upgrade`."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taskroom_cli.errors import CliError, UsageError, describe_db_error

if TYPE_CHECKING:
    from api.settings import Settings


# uvicorn's WebSocket options for every server we start. Pings: a dead peer is dropped within
# 40 s. No permessage-deflate: room frames are small JSON sent to hundreds of sockets, and
# compressing each copy per socket was half of a replica's fan-out time (every client offers it).
WEBSOCKET_OPTIONS: dict[str, Any] = {
    "ws_ping_interval": 20,
    "ws_ping_timeout": 20,
    "ws_per_message_deflate": False,
}


def load_settings() -> Settings:
    """The settings, or one clear line when a variable cannot be used (bad number, data dir)."""
    from api.settings import Settings

    try:
        return Settings.from_env()
    except (ValueError, OSError) as exc:
        raise CliError(f"bad settings: {exc}") from exc


def check_database_url(database_url: str) -> None:
    """Fail before anything connects when the URL, its driver or its SQLite folder is unusable.

    (A failed aiosqlite connect can also leave its worker thread printing a traceback.)
    """
    from sqlalchemy.engine import make_url

    from api.db.session import make_engine

    try:
        engine = make_engine(database_url)
    except Exception as exc:
        raise CliError(describe_db_error(exc, database_url)) from exc
    engine.sync_engine.dispose()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        if not folder.is_dir():
            raise CliError(
                describe_db_error(
                    OSError(f"unable to open: {folder} is not a folder"), database_url
                )
            )


def migrate_or_fail(database_url: str) -> None:
    from api.db import migrate

    try:
        migrate.upgrade(database_url)
    except Exception as exc:
        raise CliError(describe_db_error(exc, database_url)) from exc


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(f"port {port} on {host} is already in use") from exc
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def docs_line(base_url: str) -> str:
    """What `serve` and `demo` print at start: where a person can read and try the API."""
    return f"API docs: {base_url}/schema"


@contextlib.contextmanager
def shared_metrics(settings: Settings, workers: int) -> Iterator[None]:
    """Several processes, one set of metrics: prometheus_client's multiprocess mode.

    The workers inherit one folder for their values (api/metrics.py); it goes with the server.
    """
    from api.metrics import MULTIPROCESS_DIR

    if not settings.metrics or workers < 2 or MULTIPROCESS_DIR in os.environ:
        yield
        return
    folder = tempfile.mkdtemp(prefix="taskroom-metrics-")
    os.environ[MULTIPROCESS_DIR] = folder
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS_DIR]
        shutil.rmtree(folder, ignore_errors=True)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api import logs

    settings = load_settings()
    if args.workers > 1 and not settings.redis_url:
        # Each process would keep its own rooms and login limits (contract §11).
        raise UsageError(
            f"--workers {args.workers} needs TASKROOM_REDIS_URL: the processes share events "
            "and rate limits through Redis"
        )
    check_database_url(settings.database_url)
    if not args.no_migrate:
        migrate_or_fail(settings.database_url)
    check_port_free(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(docs_line(f"http://{host}:{args.port}"), flush=True)
    with shared_metrics(settings, args.workers):
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            log_config=logs.uvicorn_config(),
            ws_max_size=1024 * 1024,
            **WEBSOCKET_OPTIONS,
            proxy_headers=True,
        )
    return 0


def run_db(args: argparse.Namespace) -> int:
    database_url = load_settings().database_url
    check_database_url(database_url)
    migrate_or_fail(database_url)
    print("database is up to date")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations on start")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(func=run_serve)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations (Alembic)")
    upgrade.set_defaults(func=run_db)
