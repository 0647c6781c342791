"""Server text on its way into the TUI: no control character survives to reach the terminal."""

from __future__ import annotations

import uuid

import msgspec

from api import wire
from tui.text import from_wire, safe_line, safe_text

EVIL = "a\x1b]2;pwned\x07b\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b2J\x7f\x00\r\n\t"


def test_every_control_character_is_replaced_by_a_visible_one() -> None:
    line = safe_line(EVIL)
    assert line == "a␛]2;pwned␇b␛]52;c;cHduZWQ=␇␛[2J\ufffd2J␡␀␍␊␉"
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line)
    assert safe_text(EVIL).endswith("␍\n\t")  # multi-line text keeps its lines and tabs
    assert safe_line("plain ünïcode ✎") == "plain ünïcode ✎"


def test_decoded_frames_are_cleaned_field_by_field() -> None:
    task_id = str(uuid.uuid4())
    frame = {
        "type": "event",
        "room": "project:x",
        "event": "task:updated",
        "data": {"id": task_id, "title": "T\x1b]0;x\x07", "description": "one\ntwo\x9b"},
        "actor": {"id": str(uuid.uuid4()), "username": "u\x1b[H"},
        "cursor": "1-0",
        "ts": "2026-12-02T10:00:00Z",
    }
    raw = msgspec.json.encode(frame)
    decoded = from_wire(raw, msgspec.json.decode(raw, type=wire.ServerFrame))
    assert isinstance(decoded, wire.RoomEvent) and decoded.actor is not None
    assert decoded.data["title"] == "T␛]0;x␇"
    assert decoded.data["description"] == "one\ntwo\ufffd"
    assert decoded.data["id"] == task_id
    assert decoded.actor.username == "u␛[H"
    text = raw.decode()  # websocket text frames arrive as str
    assert from_wire(text, msgspec.json.decode(text, type=wire.ServerFrame)) == decoded


def test_clean_bodies_are_passed_through_untouched() -> None:
    raw = msgspec.json.encode({"status_code": 400, "detail": "Bad ✎ \\u001b", "extra": None})
    body = msgspec.json.decode(raw, type=wire.ErrorBody)
    assert from_wire(raw, body) is body
    assert body.detail == "Bad ✎ \\u001b"  # an escaped backslash, not an escape character
