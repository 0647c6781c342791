"""Expected failures: one clear line on stderr and exit 1 (2 for bad usage), never a traceback."""

from __future__ import annotations


class CliError(Exception):
    """An expected failure (unreachable server or database, port in use, bad URL)."""


class UsageError(CliError):
    """Arguments that cannot work together with the settings: exit 2, like argparse's own."""


def describe_db_error(exc: BaseException, url: str) -> str:
    """A one-line reason a database could not be used."""
    safe = url.split("@")[-1] if "@" in url else url
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"cannot use the database at {safe}: {reason}"
