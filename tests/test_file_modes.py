"""Files a real `taskroom serve` creates are its user's alone: the data dir 0700, the SQLite
database (password hashes) and export files 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.support import Server, register, server_env
from tests.test_exports import export, make_project


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_database_and_exports_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"  # created by the server, not by the test
    server = Server(server_env(data, None)).start()
    try:
        user = register(server.url)
        job = export(user, make_project(user, [{"title": "secret"}]), "csv")
        assert job["status"] == "COMPLETED", job
        files = [p for p in data.rglob("*") if p.is_file()]
        dirs = [data, *(p for p in data.rglob("*") if p.is_dir())]
        assert {p.name for p in files} >= {"taskroom.db", "taskroom.db-wal", f"{job['id']}.csv"}
        assert {p.relative_to(data).as_posix(): mode(p) for p in dirs} == {
            p.relative_to(data).as_posix(): 0o700 for p in dirs
        }
        assert {p.relative_to(data).as_posix(): mode(p) for p in files} == {
            p.relative_to(data).as_posix(): 0o600 for p in files
        }
        user.close()
    finally:
        server.stop()
