"""The SSH gateway with a real asyncssh client, around a probe app that reports its terminal.

The gateway is a real process (`tests.ssh_gateway`, the same server as `taskroom ssh-serve`
with another app command); the API is a real `taskroom serve`. Test `test_ssh_tui.py` runs the
real `taskroom ssh-serve` with the real TUI.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import httpx
import psutil
import pytest

from sshd.hostkey import HOST_KEY_FILE, load_or_create_host_key
from sshd.terminal import DEFAULT_TERM, RESTORE_TERMINAL, app_env, color_env
from tests.ssh_support import (
    PROBE_APP,
    TEMPLATE_READY,
    Screen,
    SshGateway,
    eventually,
    gateway_for,
)
from tests.ssh_support import api as api  # the module's API server fixture
from tests.support import ApiUser, Server, free_port, register, rmtree

PASSWORD = "password-123"


@pytest.fixture(scope="module")
def gateway(api: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshGateway]:
    # The probe app owns a few MiB; 64 lets one test push a session over the limit.
    gw = gateway_for(api, tmp_path_factory.mktemp("ssh-data"), app=PROBE_APP, session_max_mb=64)
    yield gw
    gw.stop()


@pytest.fixture
def user(api: Server) -> Iterator[ApiUser]:
    u = register(api.url)
    yield u
    u.close()


async def open_app(
    conn: asyncssh.SSHClientConnection,
    size: tuple[int, int] = (100, 30),
    term: str = "xterm",
    env: dict[str, str] | None = None,
) -> tuple[asyncssh.SSHClientProcess[bytes], Screen]:
    process = await conn.create_process(
        term_type=term, term_size=size, encoding=None, env=env or {}
    )
    return process, Screen(process)


async def test_password_login_runs_the_app_on_its_own_pty(
    gateway: SshGateway, user: ApiUser, api: Server
) -> None:
    async with gateway.connect(user.username, password=PASSWORD) as conn:
        client_env = {
            "LANG": "de_DE.UTF-8",
            "LC_ALL": "$(reboot)",
            "LD_PRELOAD": "/x.so",
            "NO_COLOR": "1",
        }
        _, screen = await open_app(conn, (100, 30), "xterm-256color", client_env)
        info, _ = await screen.probe("start")
    assert info["tty"] and info["size"] == [100, 30]
    assert info["pid"] == info["pgid"] == info["sid"]  # its own session, the pty its terminal
    assert info["ppid"] == gateway.template().pid  # forked from the warm template
    env = info["env"]
    assert env["TERM"] == "xterm-256color" and env["TEXTUAL_COLOR_SYSTEM"] == "256"
    assert env["TASKROOM_SERVER"] == api.url
    assert env["TASKROOM_SSH_PORT"] == str(gateway.port)
    assert env["TASKROOM_SESSION"] == "ssh" and env["TASKROOM_PUBLIC_URL"] == api.url
    assert "TASKROOM_SECRET_KEY" not in env and "TASKROOM_DATABASE_URL" not in env
    assert env["LANG"] == "de_DE.UTF-8"  # what the client sent, where it is harmless
    assert env["NO_COLOR"] == "1"
    assert env.get("LC_ALL") is None and "LD_PRELOAD" not in env
    assert env["XDG_CONFIG_HOME"].startswith(env["HOME"])
    # The session's own config dir goes with it.
    await eventually(lambda: not os.path.exists(env["HOME"]), "the session's home removed")
    async with httpx.AsyncClient(base_url=api.url) as http:
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {env['TASKROOM_TOKEN']}"})
    assert me.json()["username"] == user.username


async def test_a_forked_session_has_nothing_of_the_gateways_environment(
    gateway: SshGateway, user: ApiUser, api: Server
) -> None:
    assert gateway.proc is not None
    secret = api.env["TASKROOM_SECRET_KEY"]
    theirs = _environ(gateway.proc.pid)
    assert theirs["TASKROOM_SECRET_KEY"] == secret  # what must not leak
    async with gateway.connect(user.username, password=PASSWORD) as conn:
        _, screen = await open_app(conn)
        info, _ = await screen.probe("start")
        assert info["ppid"] == gateway.template().pid
        # What the kernel shows of the session (its exec-time environment: the template's)...
        raw = _raw_environ(info["pid"])
    assert b"TASKROOM_SECRET_KEY" not in raw and secret.encode() not in raw
    # ...and what it runs with: only the variables built for it, none of the gateway's.
    for seen in (_environ_of(raw), info["env"]):
        same = {k for k, v in theirs.items() if seen.get(k) == v}
        assert not same - {"PATH", "LANG", "TERM"}  # these three are set anew, equal by chance
        assert secret not in "".join(seen.values())
    assert info["env"]["HOME"] != os.environ.get("HOME")


def _raw_environ(pid: int) -> bytes:
    return Path(f"/proc/{pid}/environ").read_bytes()


def _environ(pid: int) -> dict[str, str]:
    return _environ_of(_raw_environ(pid))


def _environ_of(raw: bytes) -> dict[str, str]:
    pairs = (entry.decode(errors="replace").partition("=") for entry in raw.split(b"\0") if entry)
    return {name: value for name, _, value in pairs}


async def test_a_killed_template_is_restarted_and_sessions_start_cold_meanwhile(
    api: Server, user: ApiUser, tmp_path: Path
) -> None:
    gw = gateway_for(api, tmp_path, app=PROBE_APP)
    try:
        assert gw.proc is not None
        async with gw.connect(user.username, password=PASSWORD) as conn:
            forked, forked_screen = await open_app(conn)
            info, at = await forked_screen.probe("start")
            template = gw.template()
            assert info["ppid"] == template.pid

            template.kill()
            template.wait(timeout=30)
            _, cold_screen = await open_app(conn)  # the restart waits 1 s: this one is cold
            cold, _ = await cold_screen.probe("start")
            assert cold["ppid"] == gw.proc.pid
            assert cold["pid"] == cold["sid"] and cold["tty"]

            # The session forked by the dead template lives on, resizes and ends cleanly.
            forked.change_terminal_size(90, 25)
            resized, at = await forked_screen.probe("resize", at)
            assert resized["size"] == [90, 25]

            await eventually(lambda: gw.log().count(TEMPLATE_READY) == 2, "template restarted")
            assert gw.template().pid != template.pid
            _, warm_screen = await open_app(conn)
            warm, _ = await warm_screen.probe("start")
            assert warm["ppid"] == gw.template().pid

            forked.stdin.write(b"quit\n")
            await forked_screen.wait_closed()
            assert forked.exit_status == 0
        await eventually(lambda: not gw.app_processes(), "no app process left behind")
        assert "warm-start template exited with -9" in gw.log()
    finally:
        gw.stop()


async def test_wrong_password_is_refused_slowly_and_counted_by_the_api(
    gateway: SshGateway, user: ApiUser, api: Server
) -> None:
    # From another loopback address: the API limits failures per address too, and the
    # gateway passes the client's address on (so 127.0.0.1 stays usable for other tests).
    elsewhere = ("127.0.0.2", 0)

    async def attempt() -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            async with gateway.connect(
                user.username, password="wrong-password", local_addr=elsewhere
            ):
                pass

    started = time.monotonic()
    await attempt()
    assert time.monotonic() - started >= 0.5  # the gateway's failure delay in these tests
    assert f"ssh password refused: user='{user.username}'" in gateway.log()
    with pytest.raises(asyncssh.PermissionDenied):
        async with gateway.connect("no-such-user", password=PASSWORD, local_addr=elsewhere):
            pass

    # The API's login limit sees SSH failures: ten a minute and the username is locked.
    await asyncio.gather(*(attempt() for _ in range(9)))
    async with httpx.AsyncClient(base_url=api.url) as http:
        r = await http.post(
            "/api/auth/login", json={"username": user.username, "password": PASSWORD}
        )
    assert r.status_code == 429
    banners = BannerClient()
    with pytest.raises(asyncssh.PermissionDenied):
        async with gateway.connect(
            user.username,
            password=PASSWORD,  # even the right one, while the limit holds
            local_addr=elsewhere,
            client_factory=lambda: banners,
        ):
            pass
    assert "ssh login throttled" in gateway.log()
    assert banners.seen == ["Too many failed logins: try again in a minute.\r\n"]


async def test_an_unreachable_api_is_said_not_guessed(
    api: Server, user: ApiUser, tmp_path: Path
) -> None:
    env = {**api.env, "TASKROOM_DATA_DIR": str(tmp_path)}
    gw = SshGateway(env, f"http://127.0.0.1:{free_port()}", app=PROBE_APP).start()
    try:
        banners = BannerClient()
        with pytest.raises(asyncssh.PermissionDenied):
            async with gw.connect(user.username, password=PASSWORD, client_factory=lambda: banners):
                pass
        assert banners.seen and "cannot be reached" in banners.seen[0]
        assert "cannot reach the API" in gw.log()
    finally:
        gw.stop()


class BannerClient(asyncssh.SSHClient):
    """Keeps the auth banners the server sends (why a login was refused)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def auth_banner_received(self, msg: str, lang: str) -> None:
        self.seen.append(msg)


async def test_public_key_login_after_registering_the_key(
    gateway: SshGateway, user: ApiUser
) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    with pytest.raises(asyncssh.PermissionDenied):
        async with gateway.connect(user.username, client_keys=[key]):
            pass

    r = user.client.post("/api/me/ssh-keys", json={"public_key": key.export_public_key().decode()})
    assert r.status_code == 201
    async with gateway.connect(user.username, client_keys=[key]) as conn:
        _, screen = await open_app(conn)
        info, _ = await screen.probe("start")
    me = user.client.get(
        "/api/me", headers={"Authorization": f"Bearer {info['env']['TASKROOM_TOKEN']}"}
    )
    assert me.json()["id"] == user.id

    # The key names its owner: the same key for another username is refused.
    other = register(user.client.base_url.__str__().rstrip("/"))
    with pytest.raises(asyncssh.PermissionDenied):
        async with gateway.connect(other.username, client_keys=[key]):
            pass
    other.close()

    user.client.delete(f"/api/me/ssh-keys/{r.json()['id']}")
    with pytest.raises(asyncssh.PermissionDenied):
        async with gateway.connect(user.username, client_keys=[key]):
            pass


async def test_keys_offered_per_connection_are_capped(gateway: SshGateway, user: ApiUser) -> None:
    """Each offered key costs the gateway an API call: 6 a connection, then refused unasked."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    r = user.client.post("/api/me/ssh-keys", json={"public_key": key.export_public_key().decode()})
    assert r.status_code == 201
    strangers = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(6)]
    asked = gateway.log().count("ssh key refused")
    with pytest.raises(asyncssh.PermissionDenied):
        async with gateway.connect(user.username, client_keys=[*strangers, key]):
            pass
    assert gateway.log().count("ssh key refused") - asked == 6  # the seventh was not asked
    async with gateway.connect(user.username, client_keys=[*strangers[:5], key]) as conn:
        _, screen = await open_app(conn)
        await screen.probe("start")


async def test_connections_not_logged_in_are_capped_per_address_and_in_total(
    api: Server, user: ApiUser, tmp_path: Path
) -> None:
    gw = gateway_for(
        api, tmp_path, app=PROBE_APP, max_unauthenticated=3, max_unauthenticated_per_address=2
    )
    silent: list[asyncio.StreamWriter] = []

    async def hold(host: str) -> None:
        """A TCP connection that never logs in."""
        _, writer = await asyncio.open_connection("127.0.0.1", gw.port, local_addr=(host, 0))
        silent.append(writer)

    async def logs_in(host: str) -> bool:
        try:
            async with gw.connect(user.username, password=PASSWORD, local_addr=(host, 0)):
                return True
        except (asyncssh.Error, OSError):
            return False

    try:
        await hold("127.0.0.1")
        await hold("127.0.0.1")
        assert not await logs_in("127.0.0.1")  # two from this address already
        assert "too many connections not logged in" in gw.log()
        await hold("127.0.0.4")
        assert not await logs_in("127.0.0.5")  # three in all
        assert gw.log().count("dropped") == 2
        for writer in silent:
            writer.close()
            await writer.wait_closed()
        for _ in range(50):  # once the gateway has seen them go
            if await logs_in("127.0.0.1"):
                break
            await asyncio.sleep(0.1)
        # A connection that has logged in no longer counts.
        async with (
            gw.connect(user.username, password=PASSWORD) as first,
            gw.connect(user.username, password=PASSWORD) as second,
        ):
            assert await logs_in("127.0.0.1")
            assert first.get_extra_info("username") == second.get_extra_info("username")
    finally:
        gw.stop()


async def test_auth_attempts_per_connection_are_capped(gateway: SshGateway, api: Server) -> None:
    """Six passwords a connection, like OpenSSH's MaxAuthTries; then it is closed."""
    user = register(api.url)
    asked = gateway.log().count(f"ssh password refused: user='{user.username}'")
    guesser = Guesser([f"guess-{i}" for i in range(10)])
    with pytest.raises(asyncssh.PermissionDenied):
        async with gateway.connect(
            user.username, client_factory=lambda: guesser, local_addr=("127.0.0.3", 0)
        ):
            pass
    refused = gateway.log().count(f"ssh password refused: user='{user.username}'") - asked
    assert refused == 6 and guesser.tried == 7  # the seventh was not asked
    assert f"too many auth attempts: user='{user.username}'" in gateway.log()
    user.close()


class Guesser(asyncssh.SSHClient):
    """Tries one password after another on one connection."""

    def __init__(self, passwords: list[str]) -> None:
        self._passwords = iter(passwords)
        self.tried = 0

    def password_auth_requested(self) -> str | None:
        self.tried += 1
        return next(self._passwords, None)


async def test_resize_reaches_the_app(gateway: SshGateway, user: ApiUser) -> None:
    async with gateway.connect(user.username, password=PASSWORD) as conn:
        process, screen = await open_app(conn, (80, 24))
        _, at = await screen.probe("start")
        process.change_terminal_size(132, 43)
        info, at = await screen.probe("resize", at)
        assert info["size"] == [132, 43]
        process.change_terminal_size(60, 20)
        info, _ = await screen.probe("resize", at)
        assert info["size"] == [60, 20]


async def test_only_the_app_is_offered(gateway: SshGateway, user: ApiUser) -> None:
    async with gateway.connect(user.username, password=PASSWORD) as conn:
        result = await conn.run("cat /etc/passwd", timeout=30)
        assert result.exit_status == 1
        assert "only its app" in str(result.stderr)

        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.run(subsystem="sftp", timeout=30)
        result = await conn.run(subsystem="netconf", timeout=30)
        assert result.exit_status == 1

        result = await conn.run(timeout=30)  # a shell, but without a pty
        assert result.exit_status == 1
        assert "needs a terminal" in str(result.stderr)

        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", 22)
        with pytest.raises(asyncssh.ChannelListenError):
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 22)


async def test_closing_the_connection_ends_the_app_and_its_children(
    gateway: SshGateway, user: ApiUser
) -> None:
    conn = await gateway.connect(user.username, password=PASSWORD)
    process, screen = await open_app(conn)
    info, at = await screen.probe("start")
    process.stdin.write(b"child\n")
    at = await screen.wait_for("CHILD ", at)
    child = int(screen.text[at:].split()[0])
    pids = [info["pid"], child]
    assert all(psutil.pid_exists(p) for p in pids)

    conn.abort()  # the client vanishes without a goodbye
    await eventually(lambda: not any(_alive(p) for p in pids), "the session's processes end")


async def test_a_killed_gateway_takes_its_sessions_apps_along(
    api: Server, user: ApiUser, tmp_path: Path
) -> None:
    gw = gateway_for(api, tmp_path, app=PROBE_APP)
    try:
        conn = await gw.connect(user.username, password=PASSWORD)
        _, screen = await open_app(conn)
        info, _ = await screen.probe("start")
        assert gw.proc is not None
        gw.proc.kill()  # SIGKILL: no clean-up code runs; the pty's hangup does the work
        await eventually(lambda: not _alive(info["pid"]), "the app ends with its gateway")
        conn.abort()
    finally:
        gw.stop()


async def test_a_crashed_app_ends_only_its_own_session(gateway: SshGateway, user: ApiUser) -> None:
    async with gateway.connect(user.username, password=PASSWORD) as conn:
        crashing, crash_screen = await open_app(conn)
        steady, steady_screen = await open_app(conn)
        await crash_screen.probe("start")
        _, at = await steady_screen.probe("start")

        crashing.stdin.write(b"crash\n")
        await crash_screen.wait_closed()
        assert "Taskroom stopped unexpectedly (exit 3)" in crash_screen.text
        # The app did not restore the terminal: the gateway did, before its last line.
        assert crash_screen.text.index(RESTORE_TERMINAL) < crash_screen.text.index("Taskroom st")
        assert crashing.exit_status == 1

        steady.change_terminal_size(90, 25)
        info, _ = await steady_screen.probe("resize", at)
        assert info["size"] == [90, 25]


async def test_a_session_over_its_memory_limit_is_ended_with_a_message(
    gateway: SshGateway, user: ApiUser
) -> None:
    async with gateway.connect(user.username, password=PASSWORD) as conn:
        greedy, greedy_screen = await open_app(conn)
        steady, steady_screen = await open_app(conn)
        info, at = await greedy_screen.probe("start")
        _, steady_at = await steady_screen.probe("start")
        greedy.stdin.write(b"grow 40\n")
        at = await greedy_screen.wait_for("GREW 1", at)
        await asyncio.sleep(1.5)  # three checks: 40 MiB is within the limit
        assert not greedy_screen.closed

        greedy.stdin.write(b"grow 40\n")
        await greedy_screen.wait_closed()
        farewell = "MiB of memory, more than the 64 MiB allowed, and was closed"
        assert farewell in greedy_screen.plain() and RESTORE_TERMINAL in greedy_screen.text
        assert greedy.exit_status == 1
        await eventually(lambda: not _alive(info["pid"]), "the greedy app ends")
        assert "over its memory limit" in gateway.log()

        steady.change_terminal_size(90, 25)  # the other session lives on
        resized, _ = await steady_screen.probe("resize", steady_at)
        assert resized["size"] == [90, 25]


async def test_full_server_refuses_politely_and_idle_sessions_close(
    api: Server, user: ApiUser, tmp_path: Path
) -> None:
    gw = gateway_for(api, tmp_path, app=PROBE_APP, max_sessions=1, idle_timeout=3)
    try:
        async with gw.connect(user.username, password=PASSWORD) as conn:
            _, first = await open_app(conn)
            await first.probe("start")
            result = await conn.run(term_type="xterm", timeout=30)
            assert result.exit_status == 1
            assert "Taskroom is full (1 sessions)" in str(result.stderr)

            await first.wait_closed()  # nobody typed for 3 s
            assert "without input" in first.text

            _, second = await open_app(conn)  # the slot is free again
            await second.probe("start")
    finally:
        gw.stop()


async def test_a_session_ends_with_its_short_lived_token(
    api: Server, user: ApiUser, tmp_path: Path
) -> None:
    gw = gateway_for(api, tmp_path, app=PROBE_APP, token_ttl=4)
    try:
        async with gw.connect(user.username, password=PASSWORD) as conn:
            _, screen = await open_app(conn)
            info, _ = await screen.probe("start")
            await screen.wait_closed()
        assert "reached its time limit" in screen.text
        token = info["env"]["TASKROOM_TOKEN"]
        async with httpx.AsyncClient(base_url=api.url) as http:
            r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401  # expired with the session
    finally:
        gw.stop()


def test_host_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_host_key(tmp_path)
    path = next(tmp_path.iterdir())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_host_key(tmp_path)
    assert again.get_fingerprint() == first.get_fingerprint()
    rmtree(tmp_path)


@pytest.mark.skipif(shutil.which("ssh-keyscan") is None, reason="OpenSSH not installed")
def test_the_fingerprint_printed_at_start_is_what_openssh_shows(gateway: SshGateway) -> None:
    """The README's first-connection steps: the admin's and the client's view agree."""
    printed = re.search(r"host key fingerprint: (SHA256:\S+)", gateway.log())
    assert printed is not None
    key_file = Path(gateway.env["TASKROOM_DATA_DIR"]) / HOST_KEY_FILE
    on_server = _run(["ssh-keygen", "-lf", str(key_file)])
    presented = _run(
        ["ssh-keygen", "-lf", "-"], _run(["ssh-keyscan", "-p", str(gateway.port), "127.0.0.1"])
    )
    assert on_server.split()[1] == presented.split()[1] == printed[1]


def _run(argv: list[str], stdin: str = "") -> str:
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True).stdout


def test_colour_system_follows_term() -> None:
    assert color_env("xterm-256color", None) == {"TEXTUAL_COLOR_SYSTEM": "256"}
    assert color_env("xterm-256color", "truecolor")["TEXTUAL_COLOR_SYSTEM"] == "truecolor"
    assert color_env("xterm-kitty", None)["COLORTERM"] == "truecolor"
    assert color_env("vt100", None) == {"TEXTUAL_COLOR_SYSTEM": "standard"}


def test_client_terminal_values_must_be_safe_whole(tmp_path: Path) -> None:
    """A trailing newline is not a safe value: the pattern holds the whole string."""
    env = app_env(
        term="vt100\n",
        client_env={"LANG": "C.UTF-8\n", "LC_ALL": "en_US.UTF-8"},
        home=tmp_path,
        extra={},
    )
    assert env["TERM"] == DEFAULT_TERM
    assert env["LANG"] == "C.UTF-8" and env["LC_ALL"] == "en_US.UTF-8"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_gateway_process_loads_neither_litestar_nor_argon2() -> None:
    """The gateway mints its tokens with `api.signing` (PyJWT alone): importing the API's
    security module cost its idle process ~70 MiB (Litestar, argon2)."""
    code = (
        "import sys, sshd.server, sshd.session, sshd.identity\n"
        "print(sorted(m for m in ('litestar', 'argon2', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
