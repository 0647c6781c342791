"""One SSH session = one app process on its own pty.

Textual owns process-wide signals and stdio, so two apps never share a process: each session
starts the app (forked from the warm template, or afresh: `sshd.launcher`) as the leader of a
new session whose controlling terminal is a fresh pty. The
pty's output goes to the SSH channel through asyncssh's redirect (with flow control); input
is pumped by hand so that a window change can be applied to the pty (the kernel then sends
SIGWINCH to the app) and so that idleness can be measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pty
import shutil
import signal
import tempfile
import termios
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from sshd.identity import Identity
from sshd.launcher import AppProcess, Launcher
from sshd.terminal import RESTORE_TERMINAL, app_env

logger = logging.getLogger("taskroom.ssh")

HANGUP_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class Ending:
    """How a session ends: the exit status the client gets, and a last line for its screen.

    Unless the app exited cleanly (and so restored the terminal itself), the client's terminal
    is given back its normal screen, cursor, keyboard and mouse first.
    """

    status: int
    farewell: str | None = None
    clean: bool = False

    def send(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        with contextlib.suppress(asyncssh.Error, OSError):
            if not self.clean:
                process.stdout.write(RESTORE_TERMINAL.encode())
            if self.farewell:
                process.stdout.write(f"\r\n{self.farewell}\r\n".encode())
            process.exit(self.status)


class AppSession:
    def __init__(
        self,
        process: asyncssh.SSHServerProcess[bytes],
        identity: Identity,
        launcher: Launcher,
        env: Mapping[str, str],
        idle_timeout: float,
    ) -> None:
        self.process = process
        self.identity = identity
        self.launcher = launcher
        self.extra_env = dict(env)
        self.idle_timeout = idle_timeout
        self.proc: AppProcess | None = None
        self._ended: asyncio.Future[Ending] = asyncio.get_running_loop().create_future()

    def end(self, ending: Ending) -> None:
        """Close the session from outside (the gateway's memory watch), saying why."""
        if not self._ended.done():
            self._ended.set_result(ending)

    async def run(self) -> Ending:
        """Run the app until it exits, the client leaves, it idles out or the token expires.

        Returns how to end the SSH session, which the caller does once the app is gone.
        """
        home = Path(tempfile.mkdtemp(prefix="taskroom-session-"))
        master, slave = pty.openpty()
        cols, rows, _, _ = self.process.term_size
        termios.tcsetwinsize(slave, (rows or 24, cols or 80))
        try:
            env = app_env(
                term=self.process.term_type,
                client_env=self.process.env,
                home=home,
                extra=self.extra_env,
            )
            self.proc = await self.launcher.launch(env, home, slave)
            os.close(slave)
            slave = -1
            # send_eof=False: the channel stays open after the app exits, for a last line.
            await self.process.redirect(stdout=os.dup(master), send_eof=False)
            return await self._supervise(master)
        finally:
            await self._stop()
            for fd in (master, slave):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            shutil.rmtree(home, ignore_errors=True)

    async def _supervise(self, master: int) -> Ending:
        assert self.proc is not None
        app_exit = asyncio.ensure_future(self.proc.wait())
        pump = asyncio.ensure_future(self._pump_input(master))
        lifetime = max(0.0, self.identity.expires_at - time.time())
        endings: set[asyncio.Future[Any]] = {app_exit, pump, self._ended}
        try:
            done, _ = await asyncio.wait(
                endings, timeout=lifetime, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            pump.cancel()
            app_exit.cancel()
        if self._ended in done:
            return self._ended.result()
        if app_exit in done:
            code = app_exit.result()
            # Give the last frames (the app restoring the screen) a moment to reach the client.
            with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
                await asyncio.wait_for(self.process.stdout.drain(), 1.0)
            if code == 0:
                return Ending(0, clean=True)
            logger.warning("app of %s exited with %s", self.identity.username, code)
            return Ending(1, f"Taskroom stopped unexpectedly (exit {code}). Please reconnect.")
        if pump in done:
            if not pump.cancelled() and pump.exception() is None and pump.result() == "idle":
                minutes = self.idle_timeout / 60
                return Ending(
                    0, f"Closed after {minutes:g} minutes without input. Reconnect any time."
                )
            return Ending(0)
        return Ending(0, "This session reached its time limit. Reconnect to continue.")

    async def _pump_input(self, master: int) -> str:
        """Client keystrokes to the pty; window changes to the pty's size. Returns why it ended."""
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(os.dup(master), "wb", buffering=0)
        )
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        try:
            async with asyncio.timeout(self.idle_timeout or None) as idle:
                while True:
                    try:
                        data = await self.process.stdin.read(65536)
                    except asyncssh.TerminalSizeChanged as change:
                        termios.tcsetwinsize(master, (change.height, change.width))
                        data = b""
                    except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                        continue
                    else:
                        if not data:
                            return "eof"
                        writer.write(data)
                        await writer.drain()
                    if self.idle_timeout:
                        idle.reschedule(loop.time() + self.idle_timeout)
        except TimeoutError:
            return "idle"
        except (asyncssh.Error, OSError):
            return "closed"
        finally:
            transport.close()

    async def _stop(self) -> None:
        """Hang up the app's whole process group, as a closing terminal would; then kill."""
        proc = self.proc
        if proc is None:
            return
        for sig in (signal.SIGHUP, signal.SIGCONT):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), HANGUP_GRACE_SECONDS)
        except TimeoutError:
            logger.warning("app of %s ignored SIGHUP; killing it", self.identity.username)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # and anything it left in its group
        await proc.wait()
