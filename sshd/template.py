"""The warm-start template: a Python process that has imported the app once and forks sessions.

`python -m sshd.template SOCKET MODULE…` imports the MODULEs, freezes what it holds out of the
garbage collector (so collections in the sessions do not touch, and un-share, those pages) and
serves the gateway on SOCKET, a SOCK_SEQPACKET Unix socket in a directory only the gateway's
user can enter. Per session the gateway sends one message: JSON `{"argv", "env", "cwd"}` with the
pty's slave fd attached (SCM_RIGHTS). The template forks; the child becomes the leader of a new
session with the pty as its controlling terminal and stdio, takes exactly the environment it was
sent, and runs `argv` as `python ARGV…` would (`-c CODE`, `-m MODULE` or a script path). The
template answers `{"pid": N}`, then `{"exit": CODE}` (a returncode, negative for a signal) when the
child ends. It exits when the gateway does (EOF on its stdin) and prints `ready` once serving.

It was started with an environment of its own (no secret of the gateway's), and it never runs an
event loop or a thread, so a fork copies nothing that is not safe to copy.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import gc
import importlib
import json
import os
import runpy
import selectors
import socket
import sys
import termios
import traceback
from collections.abc import Sequence
from typing import NoReturn

MAX_REQUEST = 256 * 1024
# Modules that read the environment when imported: read again with each session's own.
PER_SESSION_MODULES = ("textual.constants",)


class Template:
    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)
        os.chmod(path, 0o600)
        self.listener.listen(64)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, its gateway)

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.fileobj is self.listener:
                    self._accept()
                elif key.fd == sys.stdin.fileno():
                    if not os.read(key.fd, 512):
                        return  # the gateway is gone: so is the template
                else:
                    self._reap(key.fd)

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            conn.settimeout(5)
            message, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 1)
            try:
                request = json.loads(message)
                if len(fds) == 1:
                    self._fork(conn, fds[0], request["argv"], request["env"], request["cwd"])
                    return
            finally:
                for fd in fds:
                    os.close(fd)
        conn.close()

    def _fork(
        self, conn: socket.socket, tty: int, argv: list[str], env: dict[str, str], cwd: str
    ) -> None:
        gc.freeze()  # whatever the template allocated since: out of the children's collections
        pid = os.fork()
        if pid == 0:
            self._close_for_child(conn)
            run_session(tty, argv, env, cwd)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ)
        with contextlib.suppress(OSError):
            conn.send(json.dumps({"pid": pid}).encode())

    def _reap(self, pidfd: int) -> None:
        pid, conn = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            conn.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
        conn.close()

    def _close_for_child(self, conn: socket.socket) -> None:
        """The child keeps none of the template's sockets (through their objects, so nothing
        closes a reused fd number later)."""
        self.selector.close()
        self.listener.close()
        conn.close()
        for pidfd, (_, other) in self.children.items():
            os.close(pidfd)
            other.close()


def run_session(tty: int, argv: list[str], env: dict[str, str], cwd: str) -> NoReturn:
    """In the forked child: become a terminal session of its own, then run the app."""
    code = 1
    try:
        os.setsid()
        for fd in (0, 1, 2):
            os.dup2(tty, fd)
        os.close(tty)
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        for name in PER_SESSION_MODULES:
            if name in sys.modules:
                importlib.reload(sys.modules[name])
        code = run_argv(argv)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(code)


def run_argv(argv: Sequence[str]) -> int:
    """Run `python ARGV…` in this process: `-c CODE`, `-m MODULE` or a script, with its args."""
    if argv[0] == "-c":
        sys.argv = ["-c", *argv[2:]]
        sys.path[0] = ""
        code = compile(argv[1], "<string>", "exec")
        exec(code, {"__name__": "__main__", "__builtins__": builtins})
    elif argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        sys.path[0] = os.getcwd()
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter makes of `sys.exit(value)`."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def main() -> None:
    path, *modules = sys.argv[1:]
    for name in modules:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    template = Template(path)
    print("ready", flush=True)
    template.serve()


if __name__ == "__main__":
    main()
