"""`taskroom demo [--no-tui]`: the embedded server in-process, seeded, and the TUI logged in."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import socket
import threading
import time
from pathlib import Path

import httpx

from taskroom_cli.errors import CliError
from taskroom_cli.serve import WEBSOCKET_OPTIONS, docs_line, migrate_or_fail


def listen_socket() -> socket.socket:
    """Bind a free loopback port up front, so nothing can take it between pick and serve."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def log_to_file(path: Path) -> None:
    """The TUI owns the terminal: every log record of the embedded server goes to a file."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("", "litestar", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = not name
    logging.getLogger().setLevel(logging.WARNING)


def demo_login(url: str) -> str:
    from api.demo import DEMO_PASSWORD, DEMO_USERNAME

    response = httpx.post(
        f"{url}/api/auth/login",
        json={"username": DEMO_USERNAME, "password": DEMO_PASSWORD},
        timeout=10,
    )
    if response.status_code != 200:
        raise CliError(
            f"the demo user could not log in ({response.status_code}); "
            "was its password changed? Point TASKROOM_DATA_DIR at a fresh directory."
        )
    token: str = response.json()["access_token"]
    return token


def run_demo(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.demo import seed_if_empty
    from api.settings import Settings

    base = Settings.from_env()
    settings = dataclasses.replace(
        base,
        database_url=f"sqlite+aiosqlite:///{base.data_dir / 'taskroom.db'}",
        redis_url=None,
    )
    migrate_or_fail(settings.database_url)
    seeded = asyncio.run(seed_if_empty(settings.database_url))
    sock = listen_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            log_level="warning",
            log_config=None,
            lifespan="on",
            **WEBSOCKET_OPTIONS,
        )
    )
    if args.no_tui:
        print(f"Taskroom demo serving at {url}  (user demo / demo-password)", flush=True)
        print(docs_line(url), flush=True)
        if seeded:
            print(f"seeded a demo project into {settings.data_dir}", flush=True)
        server.run(sockets=[sock])
        return 0
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise CliError("the embedded demo server did not start")
        time.sleep(0.05)
    log_to_file(settings.data_dir / "demo.log")
    try:
        from taskroom_cli.tui import run_app

        return run_app(url, token=demo_login(url))
    finally:
        server.should_exit = True
        thread.join(10)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo", help="try Taskroom: embedded server, demo data, the TUI logged in"
    )
    demo.add_argument("--no-tui", action="store_true", help="only serve, and print the URL")
    demo.set_defaults(func=run_demo)
