"""A TextArea that completes `@username` from the project's members (Textual has no
autocomplete for TextArea; textual-autocomplete covers Input only).

Typing `@` and the start of a name opens a small list under the cursor: up/down choose,
tab or enter takes the name (and a space), esc closes the list and keeps what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from textual import events
from textual.geometry import Offset
from textual.widget import Widget
from textual.widgets import OptionList, TextArea

# The word being typed, as the server reads mentions (api/domain/notifications/mentions.py):
# an `@` that no word character, `@` or `/` precedes, then the start of a username.
TYPING = re.compile(r"(?<![\w@/])@([a-z0-9_-]{0,32})$")
SHOWN = 6


class MentionList(OptionList):
    """The names that fit what follows the `@`; drawn over the dialog, at the cursor."""


class MentionArea(TextArea):
    def __init__(self, text: str = "", *, usernames: Sequence[str] = (), **kw: Any) -> None:
        super().__init__(text, **kw)
        self.usernames = sorted(usernames)
        self.picker = MentionList()
        self.picker.display = False
        self.typed = ""  # the part of a name after the `@`, while the list is open

    def on_mount(self) -> None:
        # beside the area, in its container: an overlay there leaves the dialog's size and
        # place alone (one in the screen would move a centred dialog)
        if isinstance(self.parent, Widget):
            self.parent.mount(self.picker)

    def on_unmount(self) -> None:
        self.picker.remove()

    @property
    def picking(self) -> bool:
        return bool(self.picker.display)

    def fits(self) -> list[str]:
        """The member names that the word at the cursor starts, or [] when it is no mention."""
        row, column = self.cursor_location
        match = TYPING.search(self.document.get_line(row)[:column])
        if match is None:
            return []
        self.typed = match.group(1)
        return [u for u in self.usernames if u.startswith(self.typed)][:SHOWN]

    def on_text_area_changed(self) -> None:
        self.offer()

    def on_text_area_selection_changed(self) -> None:
        self.offer()

    def offer(self) -> None:
        names = self.fits() if self.has_focus else []
        if names == [str(o.prompt) for o in self.picker.options] and self.picking == bool(names):
            return
        self.picker.set_options(names)
        self.picker.display = bool(names)
        if names:
            self.picker.highlighted = 0
            parent = self.parent
            origin = parent.content_region.offset if isinstance(parent, Widget) else Offset()
            x, y = self.cursor_screen_offset - origin
            self.picker.styles.offset = (max(0, x - len(self.typed) - 1), y + 1)

    def close(self) -> None:
        self.picker.display = False

    def take(self) -> None:
        index = self.picker.highlighted
        if index is None:
            return
        name = str(self.picker.get_option_at_index(index).prompt)
        row, column = self.cursor_location
        self.replace(f"{name} ", (row, column - len(self.typed)), (row, column))
        self.close()

    def on_key(self, event: events.Key) -> None:
        """While the list is open its keys come first (before the TextArea inserts them)."""
        if not self.picking:
            return
        handled = True
        if event.key in ("down", "up"):
            count = self.picker.option_count
            current = self.picker.highlighted or 0
            self.picker.highlighted = (current + (1 if event.key == "down" else -1)) % count
        elif event.key in ("tab", "enter"):
            self.take()
        elif event.key == "escape":
            self.close()
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()

    def on_blur(self) -> None:
        self.close()
