"""The `taskroom` command: one console script, a subcommand per module."""

from taskroom_cli.main import main

__all__ = ["main"]
