"""The installed `taskroom tui` in a real terminal (tmux): log in by keys, see an HTTP edit land."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import Server, register, server_env

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

TASKROOM_BIN = Path(sys.executable).with_name("taskroom")


class Tmux:
    """One tmux server of our own (its own socket), one 100x30 session."""

    def __init__(self) -> None:
        self.socket = f"taskroom-test-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return out.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        self.run("new", "-d", "-s", "tui", "-x", "100", "-y", "30", f"env {exports} {command}")

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


def test_installed_tui_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    server = Server(server_env(tmp_path / "data", None)).start(timeout=90)
    try:
        user = register(server.url)
        pid = user.client.post("/api/projects", json={"name": "Terminal"}).json()["id"]
        task = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "Before"}).json()
        command = (
            str(TASKROOM_BIN) if TASKROOM_BIN.exists() else f"{sys.executable} -m taskroom_cli.main"
        )
        config = tmp_path / "config"
        tmux.start(
            f"{command} tui --server {server.url}",
            {"XDG_CONFIG_HOME": str(config), "TERM": "xterm-256color", "PATH": os.environ["PATH"]},
        )
        tmux.wait_for(lambda s: "Username" in s and "Password" in s, "the login screen")
        time.sleep(1)  # the first frame is drawn a moment before focus lands in the field
        tmux.keys("-l", user.username)
        tmux.wait_for(lambda s: user.username in s, "the typed username")
        tmux.keys("Tab")
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
