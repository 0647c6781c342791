"""Editing text in the user's own editor: the app suspends, the editor owns the terminal.

The editor is `TASKROOM_EDITOR`, then `VISUAL`, then `EDITOR` (as git and gh look them up),
else `vi`; the value may carry arguments (`code --wait`). Over SSH the TUI runs on the
session's pty, so the editor opens in the user's terminal there too.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported


class EditorFailed(Exception):
    """The editor could not be started, or ended with an error: nothing is changed."""


def editor_command(env: Mapping[str, str] = os.environ) -> list[str]:
    for name in ("TASKROOM_EDITOR", "VISUAL", "EDITOR"):
        if value := env.get(name, "").strip():
            return shlex.split(value)
    return ["vi"]


def edit_text(app: App[Any], text: str, suffix: str = ".md") -> str:
    """`text` as the editor left it (one trailing newline, which editors add, dropped)."""
    fd, name = tempfile.mkstemp(prefix="taskroom-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        command = [*editor_command(), str(path)]
        try:
            with app.suspend():
                code = subprocess.run(command, check=False).returncode
        except SuspendNotSupported:
            raise EditorFailed("this terminal cannot hand over to an editor") from None
        except OSError as exc:
            raise EditorFailed(f"could not start {command[0]}: {exc.strerror}") from None
        if code != 0:
            raise EditorFailed(f"{command[0]} exited with {code}; nothing changed")
        edited = path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)
    return edited[:-1] if edited.endswith("\n") and not text.endswith("\n") else edited
