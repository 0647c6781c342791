"""The real `taskroom ssh-serve` with the real TUI: login lands on the board, edits are live
between two SSH users, OpenSSH's own client works, closing leaves no process; and the TUI's
SSH keys screen."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import select
import shutil
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest
from textual.widgets import Input

from tests.ssh_support import Screen, SshGateway, eventually, gateway_for
from tests.ssh_support import api as api  # the module's API server fixture
from tests.support import ApiUser, Server, register
from tests.tui_support import make_app, until
from tui.screens.confirm import ConfirmScreen, PromptScreen
from tui.screens.projects import ProjectsScreen
from tui.screens.ssh_keys import SshKeysScreen

PASSWORD = "password-123"
BOARD_READY = "In progress"  # a column title: the board is on screen


@pytest.fixture(scope="module")
def gateway(api: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshGateway]:
    gw = gateway_for(api, tmp_path_factory.mktemp("ssh-data"))  # the real `taskroom ssh-serve`
    yield gw
    gw.stop()


async def open_board(conn: asyncssh.SSHClientConnection, project: str) -> tuple[Screen, int]:
    process = await conn.create_process(
        term_type="xterm-256color", term_size=(110, 32), encoding=None
    )
    screen = Screen(process)
    at = await screen.wait_for("projects of @")
    at = await screen.wait_for(project, at)  # the list has loaded
    process.stdin.write(b"\r")  # open the (only) project
    return screen, await screen.wait_for(BOARD_READY, at)


async def add_task(screen: Screen, at: int, title: str) -> int:
    screen.process.stdin.write(b"n")
    at = await screen.wait_for("Description", at)  # the task editor is open
    screen.process.stdin.write(title.encode())
    await screen.wait_for(title, at)
    screen.process.stdin.write(b"\x13")  # ctrl+s: save
    return at


async def test_two_users_over_ssh_see_each_others_edits_live(
    gateway: SshGateway, api: Server
) -> None:
    alice, bob = register(api.url), register(api.url)
    pid = alice.client.post("/api/projects", json={"name": "Orbit"}).json()["id"]
    r = alice.client.post(
        f"/api/projects/{pid}/members", json={"username": bob.username, "role": "editor"}
    )
    assert r.status_code == 201
    key = asyncssh.generate_private_key("ssh-ed25519")
    bob.client.post("/api/me/ssh-keys", json={"public_key": key.export_public_key().decode()})

    async with (
        gateway.connect(alice.username, password=PASSWORD) as alice_conn,
        gateway.connect(bob.username, client_keys=[key]) as bob_conn,
    ):
        alice_screen, alice_at = await open_board(alice_conn, "Orbit")
        bob_screen, bob_at = await open_board(bob_conn, "Orbit")
        apps = gateway.app_processes()
        assert len(apps) >= 2  # one app process per session, forked from the warm template
        assert {p.ppid() for p in apps} == {gateway.template().pid}

        # A bigger window: the app redraws down to its new last row (32 → 40).
        alice_screen.process.change_terminal_size(130, 40)
        alice_at = await alice_screen.wait_for("\x1b[40;1H", alice_at)

        await add_task(alice_screen, alice_at, "Liftoff42")
        await bob_screen.wait_for("Liftoff42", bob_at)
        await add_task(bob_screen, bob_at, "Splashdown7")
        await alice_screen.wait_for("Splashdown7", alice_at)

    titles = {t["title"] for t in alice.client.get(f"/api/projects/{pid}").json()["tasks"]}
    assert titles == {"Liftoff42", "Splashdown7"}
    await eventually(lambda: not gateway.app_processes(), "no app process left behind")
    alice.close()
    bob.close()


needs_openssh = pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH not installed")


def _key_user(api: Server, tmp_path: Path) -> tuple[ApiUser, Path]:
    """A user with a project and a registered key, and the key's file for `ssh -i`."""
    user = register(api.url)
    user.client.post("/api/projects", json={"name": "Solo"})
    key = asyncssh.generate_private_key("ssh-ed25519")
    key_path = tmp_path / "id_ed25519"
    key.write_private_key(key_path)
    key_path.chmod(0o600)
    user.client.post("/api/me/ssh-keys", json={"public_key": key.export_public_key().decode()})
    return user, key_path


def _openssh(
    gateway: SshGateway, user: ApiUser, tmp_path: Path, options: list[str], env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    """OpenSSH's `ssh -tt` on a pty of ours (its controlling terminal: it asks for passwords on
    /dev/tty), and that pty's master end. Colour settings are the caller's `env` alone."""
    mine = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    master, slave = pty.openpty()
    ssh = subprocess.Popen(
        [
            "ssh",
            "-tt",
            "-p",
            str(gateway.port),
            "-F",
            "/dev/null",
            *options,
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
            f"{user.username}@127.0.0.1",
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**mine, **env},
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    return ssh, master


def _close(ssh: subprocess.Popen[bytes], master: int) -> None:
    if ssh.poll() is None:
        ssh.kill()
        ssh.wait()
    os.close(master)


@needs_openssh
@pytest.mark.parametrize("method", ["publickey", "password"])
def test_openssh_client_lands_in_the_app(
    gateway: SshGateway, api: Server, tmp_path: Path, method: str
) -> None:
    user, key_path = _key_user(api, tmp_path)
    if method == "publickey":
        auth = ["-i", str(key_path), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"]
    else:  # OpenSSH asks by keyboard-interactive; the gateway answers it with the password
        auth = ["-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1"]
    ssh, master = _openssh(gateway, user, tmp_path, auth, {"TERM": "xterm-256color"})
    try:
        if method == "password":
            seen = _read_until(master, b"assword:", deadline=time.monotonic() + 60)
            assert b"assword:" in seen, seen[-2000:]
            os.write(master, PASSWORD.encode() + b"\n")
        seen = _read_until(master, b"projects of @", deadline=time.monotonic() + 60)
        assert b"projects of @" in seen, seen[-2000:]
        os.write(master, b"q")  # quit the app: ssh ends with it
        assert ssh.wait(30) == 0
    finally:
        _close(ssh, master)
        user.close()


TRUECOLOR = re.compile(rb"[\[;][34]8;2;(\d+);(\d+);(\d+)[;m]")
COLOR_256 = re.compile(rb"[\[;][34]8;5;\d+[;m]")
COLOR_16 = re.compile(rb"[\[;](?:3[0-7]|4[0-7]|9[0-7]|10[0-7])[;m]")


@needs_openssh
@pytest.mark.parametrize(
    ("term", "env", "depth"),
    [
        ("xterm-256color", {"COLORTERM": "truecolor"}, "truecolor"),
        ("xterm-256color", {}, "256"),
        ("xterm", {}, "16"),
        ("xterm-256color", {"COLORTERM": "truecolor", "NO_COLOR": "1"}, "grey"),
    ],
)
def test_openssh_client_gets_its_terminals_colour_depth_and_its_terminal_back(
    gateway: SshGateway, api: Server, tmp_path: Path, term: str, env: dict[str, str], depth: str
) -> None:
    """TERM crosses in the pty request; COLORTERM and NO_COLOR only by the client's SendEnv."""
    user, key_path = _key_user(api, tmp_path)
    options = ["-i", str(key_path), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"]
    options += ["-o", "SendEnv=COLORTERM", "-o", "SendEnv=NO_COLOR"]
    ssh, master = _openssh(gateway, user, tmp_path, options, {"TERM": term, **env})
    try:
        seen = _read_until(master, b"Solo", deadline=time.monotonic() + 60)
        assert b"Solo" in seen, seen[-2000:]
        screen = seen + _read_until(master, None, deadline=time.monotonic() + 1)  # the whole frame
        os.write(master, b"q")
        ending = _read_until(master, None, deadline=time.monotonic() + 30)  # all, till ssh ends
        assert ssh.wait(30) == 0
    finally:
        _close(ssh, master)
        user.close()
    truecolor = TRUECOLOR.findall(screen)
    if depth == "truecolor":
        assert truecolor and any(len(set(rgb)) > 1 for rgb in truecolor)
    elif depth == "grey":  # NO_COLOR: Textual's monochrome filter, every colour a grey
        assert truecolor and all(len(set(rgb)) == 1 for rgb in truecolor)
    elif depth == "256":
        assert COLOR_256.search(screen) and not truecolor
    else:
        assert COLOR_16.search(screen) and not truecolor and not COLOR_256.search(screen)
    # Quitting gave the terminal back: normal screen, cursor shown, mouse reporting off.
    for mode in (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?1000l", b"\x1b[?1006l"):
        assert mode in ending, ending[-500:]


def _read_until(fd: int, needle: bytes | None, deadline: float) -> bytes:
    """What `fd` gives until `needle` is in it (None: until the deadline or the client ends)."""
    seen = b""
    while (needle is None or needle not in seen) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # EIO: the client went away
                break
    return seen


async def test_ssh_keys_screen_lists_adds_and_deletes(api: Server, tmp_path: Path) -> None:
    user = register(api.url)
    text = asyncssh.generate_private_key("ssh-ed25519", comment="pilot@test")
    public = text.export_public_key().decode().strip()
    app = make_app(api.url, tmp_path, token=user.token)
    async with app.run_test(size=(110, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
        await pilot.press("s")
        screen = await until(pilot, lambda: isinstance(app.screen, SshKeysScreen) and app.screen)

        for attempt in ("not a key", public):
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, PromptScreen))
            app.screen.query_one(Input).value = attempt
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: [k.name for k in screen.keys] == ["pilot@test"])
        assert any("Not an SSH public key" in n for n in app.notices)
        assert [k["name"] for k in await asyncio.to_thread(_keys, user)] == ["pilot@test"]

        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not screen.keys and app.screen is screen)
        assert await asyncio.to_thread(_keys, user) == []
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
    user.close()


def _keys(user: ApiUser) -> list[dict[str, str]]:
    keys: list[dict[str, str]] = user.client.get("/api/me/ssh-keys").json()
    return keys


SESSIONS = 50


@pytest.mark.timeout(180)  # bounded: ~1 min on two busy cores, most of it 50 apps starting
async def test_fifty_sessions_each_see_one_live_edit(api: Server, tmp_path: Path) -> None:
    """Fifty SSH connections, each on the board; one edit through the API reaches every one of
    their screens. A gateway of its own: no earlier test's session still counts against its cap."""
    gateway = gateway_for(api, tmp_path, max_sessions=SESSIONS)
    try:
        await _fifty_see_one_edit(gateway, api)
    finally:
        gateway.stop()


async def _fifty_see_one_edit(gateway: SshGateway, api: Server) -> None:
    owner = register(api.url)
    project = owner.client.post("/api/projects", json={"name": "Crowd"}).json()["id"]
    key = asyncssh.generate_private_key("ssh-ed25519")
    owner.client.post("/api/me/ssh-keys", json={"public_key": key.export_public_key().decode()})
    # Under the gateway's 10 connections not logged in per address, and a start the two cores
    # can follow within the screen's wait.
    starting = asyncio.Semaphore(8)

    async def on_board() -> tuple[asyncssh.SSHClientConnection, Screen, int]:
        async with starting:
            conn = await gateway.connect(owner.username, client_keys=[key])
            screen, at = await open_board(conn, "Crowd")
            return conn, screen, at

    started = time.monotonic()
    sessions = await asyncio.gather(*(on_board() for _ in range(SESSIONS)))
    all_on_board = time.monotonic() - started
    try:
        assert len(gateway.app_processes()) == SESSIONS
        edited = time.monotonic()
        r = await asyncio.to_thread(
            owner.client.post, f"/api/projects/{project}/tasks", json={"title": "Crowdsurf50"}
        )
        assert r.status_code == 201, r.text
        await asyncio.gather(*(screen.wait_for("Crowdsurf50", at) for _, screen, at in sessions))
        everyone_saw_it = time.monotonic() - edited
    finally:
        for conn, _, _ in sessions:
            conn.close()
    print(f"{SESSIONS} sessions on the board in {all_on_board:.1f} s; edit on all screens in "
          f"{everyone_saw_it:.2f} s")  # fmt: skip
    await eventually(lambda: not gateway.app_processes(), "no app process left behind")
    owner.close()
