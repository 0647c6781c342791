"""SSH front door: time from connect to a usable board, and memory per session.

Run: `uv run python bench/ssh_sessions.py [--rounds 5] [--sessions 10] [--tasks 1000]`.

Starts its own `taskroom serve` (SQLite) and two real `taskroom ssh-serve`s, one with the warm
start (sessions forked from a template) and one `--cold-start`, seeds a project with 1 000
tasks, then:
- baseline: `taskroom tui` started directly on a local pty with a token, timed from spawn to
  the board showing its first task (the same app and keystrokes, no SSH);
- over SSH (asyncssh client, password and public-key auth), cold and warm in the same rounds:
  timed from the TCP connect to the same point; the ratio to the baseline;
- memory: with N sessions idle on the board at once, the unique (USS: freed when the session
  ends) and resident memory of each session's app process, and the gateway's growth per
  session.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncssh  # noqa: E402
import psutil  # noqa: E402

from taskroom_cli.ssh_serve import tui_argv  # noqa: E402
from tests.ssh_support import Screen, SshGateway  # noqa: E402
from tests.support import Server, register, server_env  # noqa: E402

PASSWORD = "password-123"
SIZE = (120, 40)
FIRST_TASK = "Task 0000"


async def to_board(screen: Screen) -> None:
    """The keystrokes of a user: wait for the project list, open the project, see a task."""
    at = await screen.wait_for("Bench")
    screen.process.stdin.write(b"\r")
    at = await screen.wait_for("In progress", at)
    await screen.wait_for(FIRST_TASK, at)


def local_board_seconds(url: str, token: str) -> float:
    """The baseline: the TUI on a local pty, no SSH in between."""
    master, slave = pty.openpty()
    termios.tcsetwinsize(slave, (SIZE[1], SIZE[0]))
    home = Path(tempfile.mkdtemp())
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "TERM": "xterm-256color",
        "TASKROOM_TOKEN": token,
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        tui_argv(url), stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    sent = False
    try:
        while True:
            seen += os.read(master, 65536)
            if not sent and b"Bench" in seen:
                os.write(master, b"\r")
                sent, mark = True, len(seen)
            if sent and b"In progress" in seen[mark:] and FIRST_TASK.encode() in seen[mark:]:
                return time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


async def ssh_board_seconds(gateway: SshGateway, username: str, **auth: Any) -> float:
    started = time.monotonic()
    async with gateway.connect(username, **auth) as conn:
        process = await conn.create_process(
            term_type="xterm-256color", term_size=SIZE, encoding=None
        )
        await to_board(Screen(process))
        elapsed = time.monotonic() - started
        process.stdin.write(b"\x03")  # ctrl+c: quit
    return elapsed


def summary(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):.2f} s (min {min(samples):.2f}, n={len(samples)})"


async def idle_sessions(
    gateway: SshGateway, username: str, key: asyncssh.SSHKey, sessions: int
) -> dict[str, float]:
    """Open `sessions` sessions on the board, leave them idle; what each one costs."""
    assert gateway.proc is not None
    gateway_process = psutil.Process(gateway.proc.pid)
    idle_rss = gateway_process.memory_info().rss
    conns = []
    for _ in range(sessions):
        conn = await gateway.connect(username, client_keys=[key])
        process = await conn.create_process(
            term_type="xterm-256color", term_size=SIZE, encoding=None
        )
        await to_board(Screen(process))
        conns.append(conn)
    await asyncio.sleep(2)  # idle: the first frames and requests are over
    apps = gateway.app_processes()
    assert len(apps) == sessions, apps
    figures = {
        "rss": statistics.median(p.memory_info().rss for p in apps),
        "uss": statistics.median(p.memory_full_info().uss for p in apps),
        "growth": (gateway_process.memory_info().rss - idle_rss) / sessions,
    }
    for conn in conns:
        conn.close()
    return figures


async def main(rounds: int, sessions: int, tasks: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-ssh-"))
    api = Server(server_env(tmp / "api", None)).start(timeout=90)
    gateways = {
        "cold": SshGateway(
            {**api.env, "TASKROOM_DATA_DIR": str(tmp / "ssh-cold")}, api.url, cold_start=True
        ),
        "warm": SshGateway({**api.env, "TASKROOM_DATA_DIR": str(tmp / "ssh-warm")}, api.url),
    }
    try:
        for gateway in gateways.values():
            gateway.start()
        user = register(api.url)
        pid = user.client.post("/api/projects", json={"name": "Bench"}).json()["id"]
        for i in range(tasks):
            body = {"title": f"Task {i:04d}", "status": ("todo", "in_progress", "done")[i % 3]}
            user.client.post(f"/api/projects/{pid}/tasks", json=body)
        key = asyncssh.generate_private_key("ssh-ed25519")
        user.client.post("/api/me/ssh-keys", json={"public_key": key.export_public_key().decode()})

        local = [await asyncio.to_thread(local_board_seconds, api.url, user.token)]
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(rounds):  # interleaved, so that both modes see the same load
            local.append(await asyncio.to_thread(local_board_seconds, api.url, user.token))
            for mode, gateway in gateways.items():
                auths: dict[str, dict[str, Any]] = {
                    "password": {"password": PASSWORD},
                    "public key": {"client_keys": [key]},
                }
                for auth, kw in auths.items():
                    elapsed = await ssh_board_seconds(gateway, user.username, **kw)
                    times.setdefault((auth, mode), []).append(elapsed)
        base = statistics.median(local[1:])
        print(f"connect -> board showing its first task ({tasks} tasks), cold vs warm start")
        print(f"  local taskroom tui (baseline)       {summary(local[1:])}")
        for (auth, mode), samples in times.items():
            ratio = statistics.median(samples) / base
            print(f"  ssh, {auth:<10} {mode} start      {summary(samples)}  ratio {ratio:.2f}")

        mib = 1024 * 1024
        print(f"memory per session, {sessions} idle sessions on the board (p50 of the sessions)")
        for mode, gateway in gateways.items():
            figures = await idle_sessions(gateway, user.username, key, sessions)
            print(
                f"  {mode}: USS {figures['uss'] / mib:.1f} MiB (freed when the session ends), "
                f"RSS {figures['rss'] / mib:.1f} MiB, "
                f"gateway growth {figures['growth'] / mib:.2f} MiB"
            )
        template = gateways["warm"].template().memory_full_info()
        print(
            f"  warm-start template: RSS {template.rss / mib:.1f} MiB, "
            f"USS {template.uss / mib:.1f} MiB"
        )
    finally:
        for gateway in gateways.values():
            gateway.stop()
        api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.sessions, args.tasks))
