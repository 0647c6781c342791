"""How much memory each session's processes own, read from /proc (Linux, like the pidfds).

A session's app is the leader of a terminal session of its own, so everything it started (an
`$EDITOR`, a pager) carries its session id. What a session costs the box is what its processes
own alone (USS: private pages; for a forked app the template's pages it still shares are not
counted), from `/proc/PID/smaps_rollup`.
"""

from __future__ import annotations

import os
from collections.abc import Collection

MIB = 1024 * 1024
_PRIVATE_FIELDS = (b"Private_Clean:", b"Private_Dirty:", b"Private_Hugetlb:")


def session_of(pid: int) -> int | None:
    """The session id of `pid` (field 6 of /proc/PID/stat; the name before it may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rpartition(b")")[2].split()
    return int(fields[3]) if len(fields) > 3 else None


def private_bytes(pid: int) -> int:
    """What `pid` owns alone (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            rollup = f.read()
    except OSError:
        return 0
    total_kib = 0
    for line in rollup.splitlines():
        if line.startswith(_PRIVATE_FIELDS):
            total_kib += int(line.split()[1])
    return total_kib * 1024


def session_usage(sessions: Collection[int]) -> dict[int, int]:
    """Bytes owned by the processes of each of these session ids (one pass over /proc)."""
    usage = dict.fromkeys(sessions, 0)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            pid = int(entry.name)
            sid = session_of(pid)
            if sid is not None and sid in usage:
                usage[sid] += private_bytes(pid)
    return usage
