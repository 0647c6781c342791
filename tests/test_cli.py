"""The `taskroom` command: help, usage errors (exit 2) and expected failures (one clear
line on stderr, exit 1, no traceback), and `db upgrade` / `alembic check` on both databases.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.db import migrate
from tests.support import ROOT, TASKROOM, free_port, postgres_database, server_env


def taskroom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TASKROOM, *args],
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_help_lists_the_commands() -> None:
    r = taskroom("--help")
    assert r.returncode == 0
    assert "serve" in r.stdout and "db" in r.stdout


BAD_USAGE = [[], ["no-such-command"], ["serve", "--port", "abc"], ["serve", "--bogus"], ["db"]]


@pytest.mark.parametrize("args", BAD_USAGE)
def test_bad_usage_exits_2(args: list[str]) -> None:
    r = taskroom(*args)
    assert r.returncode == 2, r.stderr
    assert "usage:" in r.stderr and "Traceback" not in r.stderr


def assert_one_clear_line(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("taskroom: error: ")
    for word in words:
        assert word in lines[0], lines[0]


UNUSABLE_DATABASES = {
    "unreachable": (
        "postgresql+asyncpg://postgres@127.0.0.1:1/taskroom",
        "cannot use the database",
    ),
    "no such database": (
        "postgresql+asyncpg://postgres@127.0.0.1:5432/taskroom_no_such_db",
        "does not exist",
    ),
    "not a URL": ("not a url", "cannot use the database"),
    "unknown driver": ("nosuchdb+nodriver://x@y/z", "cannot use the database"),
    "sqlite in a missing dir": ("sqlite+aiosqlite:////nonexistent/dir/t.db", "unable to open"),
}


CASES = [
    *((("db", "upgrade"), case) for case in UNUSABLE_DATABASES),
    (("serve",), "unreachable"),
    (("serve",), "not a URL"),
    (("serve", "--no-migrate"), "unknown driver"),
    (("serve", "--no-migrate"), "sqlite in a missing dir"),
]


@pytest.mark.parametrize(("command", "case"), CASES, ids=[f"{' '.join(c)}:{k}" for c, k in CASES])
def test_unusable_database_is_one_line(command: tuple[str, ...], case: str, tmp_path: Path) -> None:
    url, words = UNUSABLE_DATABASES[case]
    port = ["--port", str(free_port())] if command[0] == "serve" else []
    r = taskroom(*command, *port, env=server_env(tmp_path, url))
    assert_one_clear_line(r, words)


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = taskroom("serve", "--port", str(port), env=server_env(tmp_path, None))
    assert_one_clear_line(r, "already in use", str(port))


@pytest.mark.parametrize("workers", ["2", "4"])
def test_several_workers_without_redis_are_refused_with_exit_2(
    workers: str, tmp_path: Path
) -> None:
    """Contract §11: each process would keep its own rooms and login limits."""
    port = free_port()
    r = taskroom("serve", "--workers", workers, "--port", str(port), env=server_env(tmp_path, None))
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.splitlines() == [
        f"taskroom: error: --workers {workers} needs TASKROOM_REDIS_URL: the processes share "
        "events and rate limits through Redis"
    ]
    assert not (tmp_path / "taskroom.db").exists()  # refused before anything started


def test_bad_setting_is_one_line(tmp_path: Path) -> None:
    env = server_env(tmp_path, None, TASKROOM_TOKEN_TTL_SECONDS="soon")
    assert_one_clear_line(taskroom("db", "upgrade", env=env), "bad settings")


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    else:
        with postgres_database() as url:
            yield url


def test_db_upgrade_from_empty_then_models_and_migrations_agree(
    empty_database: str, tmp_path: Path
) -> None:
    env = server_env(tmp_path, empty_database)
    r = taskroom("db", "upgrade", env=env)
    assert r.returncode == 0, r.stderr
    assert "up to date" in r.stdout
    migrate.check(empty_database)  # `alembic check`: raises if autogenerate finds a difference
    r = taskroom("db", "upgrade", env=env)  # a second run is a no-op
    assert r.returncode == 0, r.stderr


def complete_in_bash(script: str, line: str) -> list[str]:
    """What bash offers for `line` (ending where the cursor is) with the generated script."""
    words = line.split(" ")
    program = (
        f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); "
        f"COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}; "
        '_shtab_taskroom; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return sorted(out.stdout.split())


def test_shell_completion_scripts_complete_commands_and_options() -> None:
    bash = taskroom("completion", "bash")
    assert bash.returncode == 0, bash.stderr
    commands = complete_in_bash(bash.stdout, "taskroom ")
    assert {"serve", "worker", "demo", "tui", "import", "completion"} <= set(commands)
    assert complete_in_bash(bash.stdout, "taskroom se") == ["serve"]
    assert "--port" in complete_in_bash(bash.stdout, "taskroom serve --p")
    zsh = taskroom("completion", "zsh")
    assert zsh.returncode == 0 and zsh.stdout.startswith("#compdef taskroom")
    assert taskroom("completion", "fish").returncode == 2
