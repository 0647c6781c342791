"""The scriptable CLI, run as the installed console script against the real server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import TASKROOM, MakeUser, Server, free_port


def cli(
    *args: str, home: Path, token: str | None = None, stdin: str = "", server: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKROOM_")}
    env["XDG_CONFIG_HOME"] = str(home)
    if token:
        env["TASKROOM_TOKEN"] = token
    extra = ["--server", server] if server else []
    return subprocess.run(
        [*TASKROOM, *args, *extra],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def failed(proc: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    if code == 1:
        assert len(lines) == 1 and lines[0].startswith("taskroom: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


def test_login_saves_a_0600_file_and_commands_use_it(
    server: Server, make_user: MakeUser, tmp_path: Path
) -> None:
    user = make_user()
    login = cli(
        "login", "--json", "-u", user.username, "--password-stdin",
        home=tmp_path, stdin="password-123\n", server=server.url,
    )  # fmt: skip
    assert ok(login)["username"] == user.username
    creds = tmp_path / "taskroom" / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert json.loads(creds.read_text())[server.url]["username"] == user.username
    r = user.client.post("/api/projects", json={"name": "Saved login"})
    assert r.status_code == 201
    projects = ok(cli("projects", "--json", home=tmp_path, server=server.url))
    assert [p["name"] for p in projects] == ["Saved login"]
    bad = cli(
        "login", "-u", user.username, "--password-stdin",
        home=tmp_path, stdin="wrong-password\n", server=server.url,
    )  # fmt: skip
    assert "401" in failed(bad)


def test_task_commands_round_trip_with_json(
    server: Server, make_user: MakeUser, tmp_path: Path
) -> None:
    owner, mate = make_user(), make_user()
    pid = owner.client.post("/api/projects", json={"name": "CLI board"}).json()["id"]
    r = owner.client.post(
        f"/api/projects/{pid}/members", json={"username": mate.username, "role": "editor"}
    )
    assert r.status_code == 201
    url, tok = server.url, owner.token
    added = ok(
        cli(
            "task", "add", "CLI board", "Write the CLI", "--priority", "high",
            "--due", "2027-01-02", "--assignee", mate.username, "--json",
            home=tmp_path, token=tok, server=url,
        )
    )  # fmt: skip
    assert (added["priority"], added["due_date"], added["assignee_id"]) == (
        "high", "2027-01-02", mate.id,
    )  # fmt: skip
    prefix = added["id"][:8]
    moved = ok(cli("task", "move", prefix, "done", "--json", home=tmp_path, token=tok, server=url))
    assert moved["status"] == "done"
    edited = ok(
        cli("task", "edit", added["id"], "--title", "Wrote the CLI", "--due", "none", "--json",
            home=tmp_path, token=tok, server=url)
    )  # fmt: skip
    assert (edited["title"], edited["due_date"]) == ("Wrote the CLI", None)
    listed = ok(
        cli("tasks", pid, "--status", "done", "-q", "wrote", "--assignee", mate.username,
            "--json", home=tmp_path, token=tok, server=url)
    )  # fmt: skip
    assert [t["id"] for t in listed] == [added["id"]]
    table = cli("tasks", "CLI board", home=tmp_path, token=tok, server=url)
    assert table.returncode == 0 and "Wrote the CLI" in table.stdout and prefix in table.stdout
    # a project without that label (before labels existed: "this server has no labels")
    assert "no label" in failed(
        cli("tasks", pid, "--label", "bug", home=tmp_path, token=tok, server=url)
    )
    gone = ok(cli("task", "rm", prefix, "--json", home=tmp_path, token=tok, server=url))
    assert gone == {"id": added["id"], "deleted": True}
    assert "no task" in failed(cli("task", "rm", prefix, home=tmp_path, token=tok, server=url))


def test_names_prefixes_and_exit_codes(server: Server, make_user: MakeUser, tmp_path: Path) -> None:
    owner = make_user()
    a = owner.client.post("/api/projects", json={"name": "Twin"}).json()["id"]
    b = owner.client.post("/api/projects", json={"name": "Twin"}).json()["id"]
    url, tok = server.url, owner.token
    err = failed(cli("tasks", "Twin", home=tmp_path, token=tok, server=url))
    assert a in err and b in err
    # a prefix under six characters is bad usage (2), like a status argparse rejects
    failed(cli("task", "rm", "abc", home=tmp_path, token=tok, server=url), code=2)
    failed(cli("task", "move", "x", home=tmp_path, token=tok, server=url), code=2)  # bad status
    assert "not logged in" in failed(cli("projects", home=tmp_path, server=url))
    assert "401" in failed(cli("projects", home=tmp_path, token="nonsense", server=url))
    dead = f"http://127.0.0.1:{free_port()}"
    assert "cannot reach" in failed(cli("projects", home=tmp_path, token=tok, server=dead))


def test_ambiguous_task_prefix_lists_the_candidates(
    server: Server, make_user: MakeUser, tmp_path: Path
) -> None:
    """Six shared hex characters need ~millions of tasks, so the resolver runs in-process
    with the minimum lowered to one: the rule and the message are the same code."""
    import asyncio

    from taskroom_cli import remote
    from taskroom_cli.errors import CliError
    from tui.client.http import ApiClient

    owner = make_user()
    pid = owner.client.post("/api/projects", json={"name": "Many"}).json()["id"]
    ids = [
        owner.client.post(f"/api/projects/{pid}/tasks", json={"title": f"t{i}"}).json()["id"]
        for i in range(40)
    ]

    async def resolve(ref: str) -> Any:
        client = ApiClient(server.url, owner.token)
        try:
            return await remote._task(client, ref)
        finally:
            await client.aclose()

    by_prefix: dict[str, list[str]] = {}
    for i in ids:
        by_prefix.setdefault(i[:1], []).append(i)
    assert asyncio.run(resolve(ids[0][:8]))["id"] == ids[0]
    remote.MIN_PREFIX = 1
    try:
        first, clash = next((k, v) for k, v in by_prefix.items() if len(v) > 1)
        with pytest.raises(CliError) as exc:
            asyncio.run(resolve(first))
        assert all(i in str(exc.value) for i in clash)
    finally:
        remote.MIN_PREFIX = 6


def test_comment_and_export(server: Server, make_user: MakeUser, tmp_path: Path) -> None:
    owner = make_user()
    pid = owner.client.post("/api/projects", json={"name": "Exported"}).json()["id"]
    tid = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "Ship"}).json()["id"]
    url, tok = server.url, owner.token
    out = tmp_path / "board.json"
    job = ok(cli("export", "Exported", "--format", "json", "-o", str(out), "--json",
                 home=tmp_path, token=tok, server=url))  # fmt: skip
    assert job["status"] == "COMPLETED" and out.stat().st_size == job["size_bytes"] > 0
    assert "Ship" in out.read_text() and not list(tmp_path.glob("*.part"))
    proc = cli("comment", tid[:8], "Looks good", "--json", home=tmp_path, token=tok, server=url)
    if proc.returncode == 0:  # the comments route has landed
        assert json.loads(proc.stdout)["body"] == "Looks good"
    else:
        assert "404" in failed(proc) or "405" in proc.stderr


def test_import_guesses_the_format_reports_and_exits(
    server: Server, make_user: MakeUser, tmp_path: Path
) -> None:
    owner = make_user()
    pid = owner.client.post("/api/projects", json={"name": "Imported"}).json()["id"]
    url, tok = server.url, owner.token
    board = tmp_path / "board.csv"
    board.write_text("title,priority\nShip,high\nTest,low\n")
    report = ok(cli("import", "Imported", str(board), "--dry-run", "--json",
                    home=tmp_path, token=tok, server=url))  # fmt: skip
    assert (report["format"], report["created"], report["errors"]) == ("csv", 2, [])
    assert owner.client.get(f"/api/projects/{pid}").json()["tasks"] == []
    job = ok(cli("import", pid, str(board), "--json", home=tmp_path, token=tok, server=url))
    assert (job["status"], job["created"]) == ("COMPLETED", 2)
    exported = tmp_path / "export.json"
    ok(cli("export", pid, "-f", "json", "-o", str(exported), "--json",
           home=tmp_path, token=tok, server=url))  # fmt: skip
    proc = cli("import", pid, str(exported), home=tmp_path, token=tok, server=url)  # a table
    assert proc.returncode == 0, proc.stderr
    assert "taskroom-json" in proc.stdout and "COMPLETED" in proc.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("title,status\nfine,todo\nnope,someday\n")
    proc = cli("import", pid, str(bad), home=tmp_path, token=tok, server=url)
    assert proc.returncode == 1 and "error: row 3, status: Invalid enum value" in proc.stdout
    unknown = tmp_path / "tasks.txt"
    unknown.write_text("title\nx\n")
    assert "give --format" in failed(
        cli("import", pid, str(unknown), home=tmp_path, token=tok, server=url), 2
    )
    assert len(owner.client.get(f"/api/projects/{pid}").json()["tasks"]) == 4


def test_table_cells_cannot_drive_the_terminal() -> None:
    """Older rows or imports may hold escapes the API now refuses (contract §7): a table shows
    them as visible stand-ins, never as bytes a terminal acts on."""
    from taskroom_cli.remote import _cell

    shown = _cell("title\x1b]0;owned\x07 \x9b2J")
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in shown), repr(shown)
    assert shown.startswith("title")
