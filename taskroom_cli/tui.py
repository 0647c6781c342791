"""`taskroom tui [--server URL]`: the client; token from TASKROOM_TOKEN or the config dir."""

from __future__ import annotations

import argparse
import os

from taskroom_cli.errors import CliError

DEFAULT_SERVER = "http://127.0.0.1:8000"


def server_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise CliError(f"the server must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def run_app(server: str, token: str | None = None) -> int:
    from tui.app import TaskroomApp
    from tui.config import TOKEN_ENV

    TaskroomApp(server, token=token or os.environ.get(TOKEN_ENV) or None).run()
    return 0


def run_tui(args: argparse.Namespace) -> int:
    return run_app(server_url(args.server))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tui = sub.add_parser(
        "tui",
        help="the terminal client",
        description="The Taskroom terminal client. TASKROOM_TOKEN, when set, is used "
        "instead of logging in and is never written to disk.",
    )
    tui.add_argument(
        "--server",
        default=os.environ.get("TASKROOM_SERVER") or DEFAULT_SERVER,
        help="the API to talk to (default: $TASKROOM_SERVER or %(default)s)",
    )
    tui.set_defaults(func=run_tui)
