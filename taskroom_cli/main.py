"""Argument parsing and the exit-code rules of contract §1 (0 ok, 2 usage, 1 anything else)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from taskroom_cli import completion, demo, exports, remote, serve, ssh_serve, tui, worker
from taskroom_cli.errors import CliError, UsageError

COMMAND_MODULES = [serve, worker, exports, tui, demo, ssh_serve, remote]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskroom", description="Taskroom: collaborative tasks for the terminal."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    completion.register(sub, parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"taskroom: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        return 130
    return code


def run() -> None:
    """Console-script entry point.

    Whatever Taskroom writes (the data dir, the SQLite database with its password hashes,
    export files, keys) is its user's alone: the process creates it 0700/0600.
    """
    os.umask(0o077)
    sys.exit(main())


if __name__ == "__main__":
    run()
