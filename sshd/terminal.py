"""What the app's terminal looks like: TERM, a colour system, and a clean environment.

COLORTERM and NO_COLOR do not cross SSH unless the client sends them (`ssh -o
SendEnv=COLORTERM`; OpenSSH sends only LANG/LC_* by default), so the colour system is inferred
from TERM unless the client did send COLORTERM.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

DEFAULT_TERM = "xterm-256color"
# Terminals that announce themselves by name and are known to render 24-bit colour.
TRUECOLOR_TERMS = frozenset(
    {"xterm-kitty", "alacritty", "wezterm", "xterm-ghostty", "foot", "contour", "iterm2"}
)
# Client-sent variables worth keeping; everything else a client sends is ignored.
CLIENT_VARS = ("LANG", "LC_ALL", "LC_CTYPE", "COLORTERM", "NO_COLOR")
# Undoes every mode Textual's driver sets (kitty keys, mouse, paste, focus, in-band resize, no
# autowrap, hidden cursor, alternate screen): sent when an app ended without doing it itself.
RESTORE_TERMINAL = (
    "\x1b[<u"
    "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"
    "\x1b[?2004l\x1b[?1004l\x1b[?2048l\x1b[?7h\x1b[0m\x1b[?25h\x1b[?1049l"
)
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.@:+-]{1,64}")  # fullmatch: `$` would let a newline through


def color_env(term: str, colorterm: str | None) -> dict[str, str]:
    """COLORTERM and Textual's colour system for a client terminal."""
    if colorterm in ("truecolor", "24bit") or term in TRUECOLOR_TERMS or term.endswith("-direct"):
        return {"COLORTERM": "truecolor", "TEXTUAL_COLOR_SYSTEM": "truecolor"}
    if "256color" in term:
        return {"TEXTUAL_COLOR_SYSTEM": "256"}
    return {"TEXTUAL_COLOR_SYSTEM": "standard"}


def app_env(
    *, term: str | None, client_env: Mapping[str, str], home: Path, extra: Mapping[str, str]
) -> dict[str, str]:
    """The whole environment of one session's app: nothing leaks from the gateway's own
    (its secret key above all), the config dirs are the session's own."""
    term = term if term and _SAFE_VALUE.fullmatch(term) else DEFAULT_TERM
    client = {
        name: value
        for name in CLIENT_VARS
        if (value := client_env.get(name)) is not None and _SAFE_VALUE.fullmatch(value)
    }
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "LANG": "C.UTF-8",
        **{k: v for k, v in client.items() if k != "COLORTERM"},
        "TERM": term,
        **color_env(term, client.get("COLORTERM")),
        **extra,
    }
    return env
