"""A stand-in app for SSH gateway tests: reports what its terminal looks like, line by line.

Prints one JSON line at start and one per SIGWINCH; reads commands from its terminal:
`crash` exits 3, `child` starts a grandchild and prints its pid, `quit` exits 0.
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
        "size": [cols, rows],
        "tty": os.isatty(0),
        "pgid": os.getpgid(0),
        "sid": os.getsid(0),
        "env": {k: v for k, v in os.environ.items()},
    }
    sys.stdout.write("PROBE " + json.dumps(info) + "\r\n")
    sys.stdout.flush()


def main() -> None:
    signal.signal(signal.SIGWINCH, lambda *_: report("resize"))
    report("start")
    for line in sys.stdin:
        command = line.strip()
        if command == "crash":
            sys.exit(3)
        if command == "quit":
            return
        if command == "child":
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            sys.stdout.write(f"CHILD {child.pid}\r\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
