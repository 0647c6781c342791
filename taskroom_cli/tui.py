"""`taskroom tui [--server URL]`: the client; token from TASKROOM_TOKEN or the config dir."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from taskroom_cli.errors import CliError

if TYPE_CHECKING:
    from textual.app import App

DEFAULT_SERVER = "http://127.0.0.1:8000"


def server_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise CliError(f"the server must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def run_app(server: str, token: str | None = None) -> int:
    from tui.app import TaskroomApp
    from tui.config import TOKEN_ENV

    return run_to_exit(TaskroomApp(server, token=token or os.environ.get(TOKEN_ENV) or None))


def run_to_exit(app: App[Any]) -> int:
    """Run `app`; the exit status is its return code, so a crash (Textual prints the
    traceback and sets the code to 1) never exits 0."""
    app.run()
    return app.return_code or 0


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
