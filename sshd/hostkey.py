"""The server's persistent host key, generated once into the data dir (0600)."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

HOST_KEY_FILE = "ssh_host_ed25519_key"


def load_or_create_host_key(data_dir: Path) -> asyncssh.SSHKey:
    """Clients pin the host key on first use, so it must survive restarts."""
    path = data_dir / HOST_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="taskroom ssh-serve")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another ssh-serve sharing the data dir won the race
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.export_private_key())
            return key
    return asyncssh.read_private_key(path)


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")
