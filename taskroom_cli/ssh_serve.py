"""`taskroom ssh-serve`: the SSH front door (server code in the `sshd` package)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from taskroom_cli.errors import CliError
from taskroom_cli.serve import check_port_free
from taskroom_cli.tui import DEFAULT_SERVER, server_url


def tui_argv(server_url: str) -> list[str]:
    """Each session's app: this very installation's `taskroom tui`."""
    entry = "from taskroom_cli.main import run; run()"
    return [sys.executable, "-c", entry, "tui", "--server", server_url]


# What the warm-start template imports once for every session: the CLI, the TUI (with Textual,
# httpx and msgspec), the screens of a first visit, and what Textual and httpx would otherwise
# import on first use (the terminal driver, the HTTP transport).
TUI_PRELOAD = (
    "taskroom_cli.main",
    "tui.app",
    "tui.screens.login",
    "tui.screens.projects",
    "tui.screens.board",
    "tui.screens.task_editor",
    "tui.screens.confirm",
    "tui.screens.help",
    "textual.drivers.linux_driver",
    "textual.drivers.headless_driver",
    "textual.layouts.horizontal",
    "textual.layouts.stream",
    "textual.scrollbar",
    "textual.pilot",
    "httpcore",
    "anyio.lowlevel",
    "anyio.streams.tls",
    "anyio.to_thread",
    "certifi",
)


def _at_least(minimum: float, kind: type[int] | type[float]):  # type: ignore[no-untyped-def]
    """An argparse type that refuses values below `minimum` (a usage error, exit 2)."""

    def parse(text: str) -> float:
        value = kind(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


def run_ssh_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("asyncssh", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from api.settings import Settings
    from sshd.server import GatewayConfig, serve

    settings = Settings.from_env()
    server = server_url(args.server)
    check_port_free(args.host, args.port)
    config = GatewayConfig(
        server_url=server,
        secret_key=settings.secret_key,
        data_dir=settings.data_dir,
        app_argv=tui_argv(server),
        preload=TUI_PRELOAD,
        warm_start=not args.cold_start,
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        idle_timeout=args.idle_timeout,
        token_ttl=args.session_hours * 3600,
        session_max_mb=args.session_max_mb,
        public_url=server_url(args.public_url) if args.public_url else "",
    )
    try:
        asyncio.run(serve(config))
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ssh = sub.add_parser("ssh-serve", help="serve the TUI over SSH, one app per connection")
    ssh.add_argument("--host", default="0.0.0.0")
    ssh.add_argument("--port", type=_at_least(0, int), default=2222)
    ssh.add_argument(
        "--server",
        default=os.environ.get("TASKROOM_SERVER") or DEFAULT_SERVER,
        help="the Taskroom API the sessions use (default: $TASKROOM_SERVER)",
    )
    ssh.add_argument(
        "--public-url",
        default=os.environ.get("TASKROOM_PUBLIC_URL", ""),
        metavar="URL",
        help="the API as users' own machines reach it, for export download links "
        "(default: $TASKROOM_PUBLIC_URL, else --server)",
    )
    ssh.add_argument(
        "--max-sessions", type=_at_least(1, int), default=50, help="concurrent app sessions"
    )
    ssh.add_argument(
        "--idle-timeout",
        type=_at_least(0, float),
        default=30 * 60,
        metavar="S",
        help="close a session after S seconds without input (0: never)",
    )
    ssh.add_argument(
        "--session-hours",
        type=_at_least(0.01, float),
        default=8,
        help="lifetime of a session's token, and so of the session",
    )
    ssh.add_argument(
        "--session-max-mb",
        type=_at_least(0, float),
        default=os.environ.get("TASKROOM_SSH_SESSION_MAX_MB") or "256",  # parsed by `type`
        metavar="MB",
        help="close a session whose processes own more than MB MiB "
        "(default: $TASKROOM_SSH_SESSION_MAX_MB or 256; 0: no limit)",
    )
    ssh.add_argument(
        "--cold-start",
        action="store_true",
        help="start each session's app afresh instead of forking it from a warm template",
    )
    ssh.set_defaults(func=run_ssh_serve)
