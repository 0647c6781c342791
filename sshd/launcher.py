"""Starting a session's app: forked from the warm template when it is up, else a fresh process.

Both ways give the session the same thing, an `AppProcess`: the leader of a new session on the
pty, with exactly the environment built for it. The template (`sshd.template`) is the gateway's
child, started with an environment of its own; when it dies it is restarted, and sessions start
cold until it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import termios
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

logger = logging.getLogger("taskroom.ssh")

TEMPLATE_READY_SECONDS = 120.0
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)  # after the template dies, one more each time


class AppProcess(Protocol):
    """What a session needs of its app: the pid (of its process group) and its returncode."""

    @property
    def pid(self) -> int: ...

    async def wait(self) -> int: ...


def _take_terminal() -> None:
    """In the child, after setsid(): make stdin (the pty) the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


async def start_cold(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, tty: int
) -> AppProcess:
    return await asyncio.create_subprocess_exec(
        *argv,
        stdin=tty,
        stdout=tty,
        stderr=tty,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )


class ForkedApp:
    """An app forked by the template; its exit status comes back on the session's socket."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self._sock = sock
        self._status: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.ensure_future(self._read_status())

    async def wait(self) -> int:
        return await asyncio.shield(self._status)

    async def _read_status(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            message = await loop.sock_recv(self._sock, 4096)
        except OSError:
            message = b""
        finally:
            self._sock.close()
        if message:
            self._status.set_result(int(json.loads(message)["exit"]))
            return
        # The template died: the app lives on, but its status went with its parent.
        logger.warning("the template of app %s is gone; waiting for the app itself", self.pid)
        await _process_gone(self.pid)
        self._status.set_result(0)


async def _process_gone(pid: int) -> None:
    """Wait until `pid` (not a child of ours) has ended, by its pidfd."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    gone = loop.create_future()
    loop.add_reader(pidfd, gone.set_result, None)
    try:
        await gone
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)


class Launcher:
    """Starts apps, warm when `app_argv` is a Python command and the template is up."""

    def __init__(self, app_argv: Sequence[str], preload: Sequence[str], warm: bool) -> None:
        self.app_argv = list(app_argv)
        self.preload = list(preload)
        # Only a Python app can be forked from a Python template.
        self.warm = warm and len(self.app_argv) > 1 and self.app_argv[0] == sys.executable
        self._dir = Path(tempfile.mkdtemp(prefix="taskroom-ssh-template-"))  # 0700
        self._socket_path = str(self._dir / "template.sock")
        self._template: asyncio.subprocess.Process | None = None
        self._ready = False
        self._keeper: asyncio.Task[None] | None = None

    @property
    def template_pid(self) -> int | None:
        return self._template.pid if self._ready and self._template else None

    def start(self) -> None:
        if self.warm:
            self._keeper = asyncio.ensure_future(self._keep_template())

    async def aclose(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        shutil.rmtree(self._dir, ignore_errors=True)

    async def launch(self, env: Mapping[str, str], cwd: Path, tty: int) -> AppProcess:
        if self._ready:
            try:
                return await self._fork(env, cwd, tty)
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("warm start failed (%s); starting the app cold", exc)
        return await start_cold(self.app_argv, env, cwd, tty)

    async def _fork(self, env: Mapping[str, str], cwd: Path, tty: int) -> ForkedApp:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, self._socket_path)
            request = {"argv": self.app_argv[1:], "env": dict(env), "cwd": str(cwd)}
            socket.send_fds(sock, [json.dumps(request).encode()], [tty])
            answer = await asyncio.wait_for(loop.sock_recv(sock, 4096), 10)
            if not answer:
                raise ConnectionResetError("the template hung up")
            return ForkedApp(int(json.loads(answer)["pid"]), sock)
        except BaseException:
            sock.close()
            raise

    async def _keep_template(self) -> None:
        """Run the template; restart it whenever it dies, waiting a little longer each time."""
        failures = 0
        while True:
            started = await self._run_template()
            failures = 0 if started else failures + 1
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            logger.warning("warm-start template ended; restarting in %g s (cold meanwhile)", delay)
            await asyncio.sleep(delay)

    async def _run_template(self) -> bool:
        """One template's life; whether it got ready."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._socket_path)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sshd.template",
            self._socket_path,
            *self.preload,
            stdin=subprocess.PIPE,  # its EOF tells the template the gateway is gone
            stdout=subprocess.PIPE,
            env=template_env(),
            start_new_session=True,
        )
        self._template = proc
        assert proc.stdout is not None
        ready = False
        try:
            with contextlib.suppress(TimeoutError):
                line = await asyncio.wait_for(proc.stdout.readline(), TEMPLATE_READY_SECONDS)
                ready = line.strip() == b"ready"
            if ready:
                self._ready = True
                logger.info("warm-start template ready: pid=%s", proc.pid)
                code = await proc.wait()
                logger.warning("warm-start template exited with %s", code)
            return ready
        finally:
            self._ready = False
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()


def template_env() -> dict[str, str]:
    """The template's whole environment, which its sessions' /proc/PID/environ shows too."""
    return {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
