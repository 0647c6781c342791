"""A stand-in app for SSH gateway tests: reports what its terminal looks like, line by line.

Prints one JSON line at start and one per SIGWINCH; reads commands from its terminal:
`crash` exits 3, `child` starts a grandchild and prints its pid, `grow N` makes the app own N MiB
more (and says so), `quit` exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys


def report(kind: str) -> None:
    cols, rows = os.get_terminal_size(0)
    info = {
        "kind": kind,
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "size": [cols, rows],
        "tty": os.isatty(0),
        "pgid": os.getpgid(0),
        "sid": os.getsid(0),
        "env": {k: v for k, v in os.environ.items()},
    }
    # os.write: a SIGWINCH may arrive while the start report is being written.
    os.write(1, ("PROBE " + json.dumps(info) + "\r\n").encode())


def main() -> None:
    signal.signal(signal.SIGWINCH, lambda *_: report("resize"))
    report("start")
    held: list[bytes] = []
    for line in sys.stdin:
        command = line.strip()
        if command.startswith("grow "):
            held.append(b"x" * (int(command.split()[1]) * 1024 * 1024))  # written: owned
            os.write(1, f"GREW {len(held)}\r\n".encode())
        if command == "crash":
            sys.exit(3)
        if command == "quit":
            return
        if command == "child":
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            os.write(1, f"CHILD {child.pid}\r\n".encode())


if __name__ == "__main__":
    main()
