"""The installed `taskroom tui` in a real terminal (tmux): log in by keys, see an HTTP edit land."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support import Server, free_port, register, server_env, wait_until
from tests.tui_support import new_project

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

TASKROOM_BIN = Path(sys.executable).with_name("taskroom")


class Tmux:
    """One tmux server of our own (its own socket), one session (100x30 unless told)."""

    def __init__(self) -> None:
        self.socket = f"taskroom-test-{uuid.uuid4().hex[:8]}"
        self.size = (100, 30)

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return out.stdout

    def start(self, command: str, env: dict[str, str], *, keep_open: bool = False) -> None:
        """`keep_open`: the pane stays after the command ends and shows `[exit N]`."""
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        line = f"env {exports} {command}"
        if keep_open:
            line += '; echo "[exit $?]"; sleep 600'
        width, height = (str(n) for n in self.size)
        self.run("new", "-d", "-s", "tui", "-x", width, "-y", height, line)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "tui", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "tui")

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}; screen:\n{text}")
            time.sleep(0.2)

    def kill(self) -> None:
        self.run("kill-server")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    t = Tmux()
    yield t
    t.kill()


def taskroom() -> str:
    return str(TASKROOM_BIN) if TASKROOM_BIN.exists() else f"{sys.executable} -m taskroom_cli.main"


def terminal_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "TERM": "xterm-256color"}
    return {**env, "PATH": os.environ["PATH"], **extra}


def test_installed_tui_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    server = Server(server_env(tmp_path / "data", None)).start(timeout=90)
    try:
        user = register(server.url)
        pid = user.client.post("/api/projects", json={"name": "Terminal"}).json()["id"]
        task = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "Before"}).json()
        config = tmp_path / "config"
        tmux.start(f"{taskroom()} tui --server {server.url}", terminal_env(tmp_path))
        tmux.wait_for(lambda s: "Username" in s and "Password" in s, "the login screen")
        time.sleep(1)  # the first frame is drawn a moment before focus lands in the field
        tmux.keys("-l", user.username)
        tmux.wait_for(lambda s: user.username in s, "the typed username")
        tmux.keys("Tab")
        time.sleep(0.5)
        tmux.keys("-l", "password-123")
        tmux.wait_for(lambda s: "•" * 12 in s, "the masked password")
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "Terminal" in s and "owner" in s, "the projects screen")
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "Before" in s and "● live" in s, "the live board")
        r = user.client.patch(f"/api/tasks/{task['id']}", json={"title": "Edited over HTTP"})
        assert r.status_code == 200
        screen = tmux.wait_for(lambda s: "Edited over HTTP" in s, "the HTTP edit")
        assert "Before" not in screen
        credentials = config / "taskroom" / "credentials.json"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        tmux.keys("q")
        tmux.wait_for(lambda s: "Project" in s and "Role" in s, "the projects screen again")
        user.close()
    finally:
        server.stop()


def test_no_color_opens_a_board_and_quits_with_0(
    tmux: Tmux, tui_server: Server, tmp_path: Path
) -> None:
    user = register(tui_server.url)
    new_project(user, "Plain", [{"title": "Only one"}])  # two of three columns are empty
    env = terminal_env(tmp_path, NO_COLOR="1", TASKROOM_TOKEN=user.token)
    tmux.start(f"{taskroom()} tui --server {tui_server.url}", env, keep_open=True)
    tmux.wait_for(lambda s: "Plain" in s and "owner" in s, "the projects screen")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "Only one" in s and "(no tasks)" in s, "the board")
    tmux.keys("q")
    tmux.wait_for(lambda s: "Project" in s and "Role" in s, "the projects screen again")
    tmux.keys("q")
    screen = tmux.wait_for(lambda s: "[exit" in s, "the app's end")
    assert "[exit 0]" in screen and "Traceback" not in screen
    user.close()


CRASHING_APP = """
import sys
from textual.app import App
from taskroom_cli.tui import run_to_exit

class Crashing(App[None]):
    def on_mount(self) -> None:
        raise RuntimeError("boom")

sys.exit(run_to_exit(Crashing()))
"""


def test_a_crash_exits_non_zero(tmux: Tmux, tmp_path: Path) -> None:
    script = tmp_path / "crashing.py"
    script.write_text(CRASHING_APP)
    tmux.start(f"{sys.executable} {script}", terminal_env(tmp_path), keep_open=True)
    screen = tmux.wait_for(lambda s: "[exit" in s, "the app's end")
    assert "RuntimeError: boom" in screen and "[exit 1]" in screen


def test_login_screen_says_at_once_that_nothing_answers(tmux: Tmux, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    tmux.start(f"{taskroom()} tui --server {nowhere}", terminal_env(tmp_path))
    screen = tmux.wait_for(lambda s: "Username" in s and "Nothing answers" in s, "the warning")
    assert nowhere in screen


def test_header_follows_me_and_my_projects(tmux: Tmux, tmp_path: Path) -> None:
    """At 80x24, with no key pressed: a project I am added to appears, presence and my role
    change in the header, a viewer's key is refused without a request, `reconnecting N` shows
    whole when the server goes."""
    server = Server(server_env(tmp_path / "data", None)).start(timeout=90)
    try:
        alice, bob = register(server.url, "alice"), register(server.url, "bob")
        pid = new_project(alice, "Shared", [{"title": "Seed"}])
        tmux.size = (80, 24)
        tmux.start(
            f"{taskroom()} tui --server {server.url}",
            terminal_env(tmp_path, TASKROOM_TOKEN=bob.token),
        )
        tmux.wait_for(lambda s: "projects of @bob" in s and "● live" in s, "bob's projects")
        r = alice.client.post(
            f"/api/projects/{pid}/members", json={"username": "bob", "role": "editor"}
        )
        assert r.status_code == 201
        # live (a `me` frame), not polled: faster than the 10 s poll it replaced
        tmux.wait_for(lambda s: "Shared" in s, "the project bob was added to", 8)
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "Seed" in s and "Shared · editor" in s, "bob's board")
        tmux.wait_for(lambda s: "here: @bob " in s, "bob on his own board")

        headers = {"Authorization": f"Bearer {alice.token}"}
        with connect(server.ws_url, additional_headers=headers) as ws:
            ws.send(json.dumps({"type": "subscribe", "room": f"project:{pid}", "since": None}))
            tmux.wait_for(lambda s: "here: @alice @bob " in s, "alice joining the header")
            r = alice.client.patch(f"/api/projects/{pid}/members/{bob.id}", json={"role": "viewer"})
            assert r.status_code == 200
            tmux.wait_for(lambda s: "Shared · viewer  [read-only]" in s, "bob's new role")
        tmux.wait_for(lambda s: "here: @bob " in s, "alice leaving the header")

        tmux.keys("p")  # a viewer's edit is refused on the spot, never sent and rolled back
        tmux.wait_for(lambda s: "Read-only" in s, "the read-only notice")
        seed = alice.client.get(f"/api/projects/{pid}").json()["tasks"][0]
        assert (seed["priority"], seed["version"]) == ("medium", 1)

        server.stop()
        tmux.wait_for(
            lambda s: re.search(r"◌ reconnecting \d+\s*$", s.splitlines()[0]) is not None,
            "the whole reconnecting counter",
        )
        alice.close()
        bob.close()
    finally:
        server.stop()


def _write_rows(server: Server, sql: str, *params: object) -> None:
    """Straight into the server's SQLite file: rows the API would refuse (older rows, imports)."""
    path = server.env["TASKROOM_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(sql, params)


def test_server_text_never_drives_the_terminal(
    tmux: Tmux, tui_server: Server, tmp_path: Path
) -> None:
    # First show that this tmux would notice: OSC 2 sets the pane's title, OSC 52 a buffer.
    probe = r"sleep 1; printf '\033]2;probe\007\033]52;c;cHJvYmU=\007'; sleep 30"
    tmux.run("new", "-d", "-s", "probe", probe)
    tmux.run("set", "-s", "set-clipboard", "on")
    wait_until(
        lambda: tmux.run("display", "-p", "-t", "probe", "#{pane_title}").strip() == "probe",
        what="the probe's title",
    )
    wait_until(lambda: "probe" in tmux.run("list-buffers"), what="the probe's buffer")
    user = register(tui_server.url)
    pid = new_project(user, "Evil", [{"title": t} for t in ("A", "B", "C")])
    ids = {t["title"]: t["id"] for t in user.client.get(f"/api/projects/{pid}").json()["tasks"]}
    hex_id = {title: uuid.UUID(i).hex for title, i in ids.items()}
    _write_rows(
        tui_server,
        "UPDATE projects SET name = ? WHERE id = ?",
        "P\x1b]0;pwned\x07X",
        uuid.UUID(pid).hex,
    )
    _write_rows(
        tui_server,
        "UPDATE tasks SET title = ?, description = ? WHERE id = ?",
        "A\x1b]2;pwned\x07",
        "d\x1b]2;pwned\x07\nline two",
        hex_id["A"],
    )
    _write_rows(
        tui_server,
        "UPDATE tasks SET title = ? WHERE id = ?",
        "B\x1b]52;c;cHduZWQ=\x07",
        hex_id["B"],
    )
    _write_rows(
        tui_server,
        "UPDATE tasks SET title = ? WHERE id = ?",
        "C\x1b[2J\x1b[1;1H\x9b2J",
        hex_id["C"],
    )
    _write_rows(
        tui_server,
        "UPDATE users SET display_name = ? WHERE id = ?",
        "N\x1b]2;pwned\x07",
        uuid.UUID(user.id).hex,
    )
    env = terminal_env(tmp_path, TASKROOM_TOKEN=user.token)
    tmux.start(f"{taskroom()} tui --server {tui_server.url}", env)
    tmux.wait_for(lambda s: "P␛]0;pwned␇X" in s, "the project's name, replaced")
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "A␛]2;pwned␇" in s, "the board")
    assert "B␛]52;c;cHduZWQ=␇" in screen and "C␛[2J␛[1;1H\ufffd2J" in screen
    tmux.keys("Enter")  # the editor of A, its description in a TextArea
    tmux.wait_for(lambda s: "d␛]2;pwned␇" in s and "line two" in s, "the description")
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "Edit task" not in s, "the board again")
    tmux.keys("m")
    tmux.wait_for(lambda s: "N␛]2;pwned␇" in s, "the display name")
    title = tmux.run("display", "-p", "-t", "tui", "#{pane_title}")
    assert "pwned" not in title
    assert "pwned" not in tmux.run("list-buffers")  # no OSC 52 reached tmux
    user.close()


def test_long_title_hides_nothing(tmux: Tmux, tmp_path: Path) -> None:
    """A 500-character title at 80x24, 120x40 and 60x15: its card ends in "…" and leaves the
    `✎ alice` marker whole, the list view keeps every column, the editor keeps Save."""
    server = Server(server_env(tmp_path / "data", None)).start(timeout=90)
    try:
        alice, bob = register(server.url, "alice"), register(server.url, "bob")
        long_title = ("Long title " * 50)[:500]
        pid = new_project(alice, "Wide", [{"title": long_title, "due_date": "2099-01-02"}])
        r = alice.client.post(
            f"/api/projects/{pid}/members", json={"username": "bob", "role": "editor"}
        )
        assert r.status_code == 201
        task_id = alice.client.get(f"/api/projects/{pid}").json()["tasks"][0]["id"]
        tmux.size = (80, 24)
        tmux.start(
            f"{taskroom()} tui --server {server.url}",
            terminal_env(tmp_path, TASKROOM_TOKEN=bob.token),
        )
        tmux.wait_for(lambda s: "Wide" in s, "bob's projects")
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "● live" in s and "Long title" in s, "the board")
        headers = {"Authorization": f"Bearer {alice.token}"}
        with connect(server.ws_url, additional_headers=headers) as ws:
            room = f"project:{pid}"
            ws.send(json.dumps({"type": "subscribe", "room": room, "since": None}))
            ws.send(
                json.dumps({"type": "typing", "room": room, "task_id": task_id, "state": "start"})
            )
            screen = tmux.wait_for(lambda s: "✎ alice" in s, "alice's marker")
        card = next(line for line in screen.splitlines() if "Long title" in line)
        assert "… ✎ alice▕" in card, card

        tmux.run("resize-window", "-t", "tui", "-x", "120", "-y", "40")
        tmux.keys("v")
        screen = tmux.wait_for(lambda s: "Priority" in s, "the list view")
        header = next(line for line in screen.splitlines() if "Title" in line)
        assert all(name in header for name in ("Status", "Priority", "Assignee", "Due")), header
        row = next(line for line in screen.splitlines() if "Long title" in line)
        assert "…" in row and "To do" in row and "2099-01-02" in row, row

        tmux.run("resize-window", "-t", "tui", "-x", "60", "-y", "15")
        tmux.keys("e")
        tmux.wait_for(lambda s: "Save ^s" in s and "Cancel esc" in s, "Save in the editor")
        alice.close()
        bob.close()
    finally:
        server.stop()


@pytest.mark.parametrize("when", ["drawn", "starting"])
def test_login_typed_in_one_burst(
    tmux: Tmux, tui_server: Server, tmp_path: Path, when: str
) -> None:
    """One `send-keys`: username, Tab, password, Enter arrive together, as auto-type sends
    them — once the form is drawn, or while the app still starts (the terminal in line mode)."""
    user = register(tui_server.url)
    tmux.start(f"{taskroom()} tui --server {tui_server.url}", terminal_env(tmp_path))
    if when == "drawn":
        tmux.wait_for(lambda s: "Username" in s and "Password" in s, "the login screen", 60)
    tmux.keys(user.username, "Tab", "password-123", "Enter")
    tmux.wait_for(lambda s: "Project" in s and "Role" in s, "the projects screen")
    user.close()


FAKE_EDITOR = """#!/bin/sh
# An editor that needs no person: it appends a line to the file it is given.
printf '\\n- added in the editor\\n' >> "$1"
"""


def test_detail_pane_and_external_editor(tmux: Tmux, tui_server: Server, tmp_path: Path) -> None:
    """`P` shows the selected task's description as markdown beside the board; `E` hands
    the terminal to $EDITOR (TASKROOM_EDITOR here) and saves what it wrote; `c` comments,
    and the pane lists the comment."""
    user = register(tui_server.url)
    description = "## Plan\n\nShip **the pane** first."
    pid = new_project(user, "Detail", [{"title": "Write docs", "description": description}])
    editor = tmp_path / "fake-editor"
    editor.write_text(FAKE_EDITOR)
    editor.chmod(0o755)
    tmux.size = (120, 40)
    env = terminal_env(tmp_path, TASKROOM_TOKEN=user.token, TASKROOM_EDITOR=str(editor))
    tmux.start(f"{taskroom()} tui --server {tui_server.url}", env)
    tmux.wait_for(lambda s: "Detail" in s and "owner" in s, "the projects screen")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "Write docs" in s and "● live" in s, "the board")
    tmux.keys("P")
    screen = tmux.wait_for(lambda s: "Ship the pane first." in s, "the rendered description")
    assert "**" not in screen and "## Plan" not in screen and "Plan" in screen
    tmux.keys("E")

    def saved() -> bool:
        task = user.client.get(f"/api/projects/{pid}/tasks").json()["items"][0]
        return bool(task["description"] == description + "\n- added in the editor")

    wait_until(saved, timeout=20, what="the description saved from the editor")
    tmux.wait_for(lambda s: "added in the editor" in s, "the edited description in the pane")
    tmux.wait_for(lambda s: "Comments (0)" in s, "the pane's comments")
    tmux.keys("c")
    tmux.wait_for(lambda s: "Comment on: Write docs" in s, "the comment dialog")
    tmux.keys("-l", "Looks good to me")
    tmux.wait_for(lambda s: "Looks good to me" in s, "the typed comment")
    tmux.keys("C-s")
    tmux.wait_for(lambda s: "Comments (1)" in s and "Looks good to me" in s, "the comment")
    task_id = user.client.get(f"/api/projects/{pid}/tasks").json()["items"][0]["id"]
    bodies = [c["body"] for c in user.client.get(f"/api/tasks/{task_id}/comments").json()]
    assert bodies == ["Looks good to me"]
    user.close()


def test_mention_reaches_the_inbox(tmux: Tmux, tui_server: Server, tmp_path: Path) -> None:
    """At 80x24 under NO_COLOR: alice mentions bob, bob's header count goes up with no key
    pressed; `i` lists it, Enter lands on the task with its comment in the pane."""
    alice, bob = register(tui_server.url), register(tui_server.url)
    pid = new_project(alice, "Mentions", [{"title": "Other"}, {"title": "Ask bob"}])
    r = alice.client.post(
        f"/api/projects/{pid}/members", json={"username": bob.username, "role": "editor"}
    )
    assert r.status_code == 201
    tmux.size = (80, 24)
    tmux.start(
        f"{taskroom()} tui --server {tui_server.url}",
        terminal_env(tmp_path, TASKROOM_TOKEN=bob.token, NO_COLOR="1"),
    )
    tmux.wait_for(lambda s: "Mentions" in s and "● live" in s, "bob's projects")
    assert "✉" not in tmux.screen()
    task_id = next(
        t["id"]
        for t in alice.client.get(f"/api/projects/{pid}").json()["tasks"]
        if t["title"] == "Ask bob"
    )
    body = {"body": f"@{bob.username} what do you think?"}
    assert alice.client.post(f"/api/tasks/{task_id}/comments", json=body).status_code == 201
    tmux.wait_for(lambda s: "✉ 1" in s.splitlines()[0], "the unread count in the header")
    tmux.keys("i")

    def unread_rows(screen: str) -> list[str]:  # not the toast's line, nor "● live"
        return [line for line in screen.splitlines() if line.startswith(" ●  ")]

    screen = tmux.wait_for(lambda s: "inbox of @" in s and bool(unread_rows(s)), "the inbox")
    [row] = unread_rows(screen)
    assert "Ask bob" in row and "Mentions" in row and f"@{alice.username[:8]}" in row, row
    tmux.keys("Enter")
    screen = tmux.wait_for(
        lambda s: "Mentions · editor" in s and "Comments (1)" in s, "the task on its board"
    )
    assert "✉" not in screen.splitlines()[0]  # read on open
    alice.close()
    bob.close()
