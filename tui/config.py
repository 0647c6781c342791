"""What the client keeps between runs: tokens per server (0600) and the user's key remaps.

Both live in the user's config dir (platformdirs, so `XDG_CONFIG_HOME` is honoured).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import platformdirs

TOKEN_ENV = "TASKROOM_TOKEN"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir("taskroom", appauthor=False))


class TokenStore:
    """`credentials.json`: {server URL: {"token", "username"}}, written with mode 0600."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "credentials.json"

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, server: str) -> str | None:
        entry = self._read().get(server)
        return entry.get("token") if isinstance(entry, dict) else None

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = self.path.with_suffix(".tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
        os.chmod(partial, 0o600)
        partial.replace(self.path)

    def save(self, server: str, token: str, username: str) -> None:
        data = self._read()
        data[server] = {"token": token, "username": username}
        self._write(data)

    def forget(self, server: str) -> None:
        data = self._read()
        if data.pop(server, None) is not None:
            self._write(data)


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """`keys.toml` remaps bindings by id, e.g. `"board.new" = "N"` (see the help screen).

    Returns the remaps and what is wrong with the file, in words; no file is no problem.
    """
    path = path or config_dir() / "keys.toml"
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path} was not read ({exc}); the default keys apply."]
    keys = data.get("keys", data)
    if not isinstance(keys, dict):
        return {}, [f'{path}: [keys] must be a table of "id" = "key" lines.']
    problems = [
        f'{path}: "{k}" must be a key in quotes, e.g. "N" or "ctrl+n"; ignored.'
        for k, v in keys.items()
        if not isinstance(v, str)
    ]
    return {str(k): v for k, v in keys.items() if isinstance(v, str)}, problems
