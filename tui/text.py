"""Text from the server made harmless for a terminal (contract §7).

Every string the client decodes from the wire goes through here before the app holds it: the
C0 controls (ESC among them), DEL and C1 (U+0080 to U+009F) become visible stand-ins — the Unicode
control pictures (`␛`, `␇`, …), U+FFFD for C1 — so a name can neither set the window title,
write the clipboard (OSC 52) nor move the cursor, whatever older rows or imports hold.
Multi-line fields keep their newlines and tabs: neither can start a control sequence.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

import msgspec

T = TypeVar("T")

MULTILINE_FIELDS = frozenset({"description", "body"})

_LINE = (
    {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | dict.fromkeys(range(0x80, 0xA0), 0xFFFD)
)
_TEXT = {c: r for c, r in _LINE.items() if chr(c) not in "\n\t"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# How such a character looks inside a JSON document: escaped (`\u001b`, `\n`) or, for DEL and C1,
# as itself. A body without any of these needs no walk at all.
_IN_JSON = re.compile(r"\\u00|\\[bfnrt]|[\x7f-\x9f]")
_IN_JSON_BYTES = re.compile(rb"\\u00|\\[bfnrt]|\x7f|\xc2[\x80-\x9f]")


def safe_line(text: str) -> str:
    """One line of server text, every control character replaced by a visible one."""
    return text.translate(_LINE) if _UNSAFE.search(text) else text


def safe_text(text: str) -> str:
    """Multi-line server text: as `safe_line`, but newlines and tabs stay."""
    return text.translate(_TEXT) if _UNSAFE.search(text) else text


def clean(value: T, field: str = "") -> T:
    """`value` with every string in it made safe: structs, lists and dicts are walked, and
    a string is multi-line when the field holding it is (`description`, `body`)."""
    result: Any = value
    if isinstance(value, str):
        result = safe_text(value) if field in MULTILINE_FIELDS else safe_line(value)
    elif isinstance(value, msgspec.Struct):
        changes = {}
        for name in value.__struct_fields__:
            old = getattr(value, name)
            new = clean(old, name)
            if new is not old:
                changes[name] = new
        if changes:
            result = msgspec.structs.replace(value, **changes)
    elif isinstance(value, list):
        items = [clean(item, field) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            result = items
    elif isinstance(value, dict):
        cleaned = {key: clean(item, key) for key, item in value.items()}
        if any(cleaned[key] is not item for key, item in value.items()):
            result = cleaned
    return cast(T, result)


def from_wire(raw: bytes | str, value: T) -> T:
    """`value`, just decoded from the JSON `raw`, cleaned — unless `raw` cannot hold a
    control character, which is the common case and then costs one scan of the bytes."""
    found = _IN_JSON_BYTES.search(raw) if isinstance(raw, bytes) else _IN_JSON.search(raw)
    return clean(value) if found else value
