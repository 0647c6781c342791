"""Trello's board JSON export: open cards become tasks; archived cards and lists are skipped.

A list named like "To do", "Doing" or "Done" gives its cards that status; other lists go
by their place on the board: the first open list is todo, the last done, those between
in_progress. Cards keep their order: by list, then by Trello's `pos`. `row` is the card's
place in the file's `cards` array (from 1). The file is read three times as a stream
(lists, checklists, then cards), since Trello writes them in no fixed order; only the
lists and the checklists' items are held, never the cards or the board's `actions`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ijson

from api.domain.imports.entries import BadFile, Entry, Notes, Source

BY_NAME = {
    "to do": "todo",
    "todo": "todo",
    "backlog": "todo",
    "doing": "in_progress",
    "in progress": "in_progress",
    "done": "done",
}
LIST_SPAN = 1e9  # positions of one list's cards start at its rank times this
# Trello's label colours (and their `_dark`/`_light` shades) in this server's palette.
COLORS = {"sky": "teal", "lime": "green", "black": "gray"}
PALETTE = {"red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "gray"}
LABEL_CHARS = 32  # contract §9; Trello allows longer names, cut here


def _label(label: dict[str, Any]) -> dict[str, str]:
    shade = str(label.get("color") or "gray").split("_")[0]
    color = COLORS.get(shade, shade if shade in PALETTE else "gray")
    name = " ".join(str(label.get("name") or shade).split())[:LABEL_CHARS]
    return {"name": name, "color": color}


@dataclass(frozen=True)
class BoardList:
    status: str
    rank: int


def _items(source: Source, prefix: str) -> Iterator[Any]:
    with source.open() as fh:
        yield from ijson.items(fh, prefix, use_float=True)


def _lists(source: Source) -> dict[str, BoardList]:
    """Open lists by id, with their status; archived ones are left out (their cards skipped)."""
    raw = [
        item
        for item in _items(source, "lists.item")
        if isinstance(item, dict) and not item.get("closed")
    ]
    raw.sort(key=lambda item: float(item.get("pos") or 0))
    out: dict[str, BoardList] = {}
    for rank, item in enumerate(raw):
        name = " ".join(str(item.get("name", "")).lower().split())
        if name in BY_NAME:
            status = BY_NAME[name]
        elif rank == 0:
            status = "todo"
        elif rank == len(raw) - 1:
            status = "done"
        else:
            status = "in_progress"
        out[str(item.get("id"))] = BoardList(status, rank)
    return out


def _checklists(source: Source) -> dict[str, list[dict[str, Any]]]:
    """Each card's checklist items, in Trello's order (checklist by checklist)."""
    by_card: dict[str, list[tuple[float, float, dict[str, Any]]]] = {}
    for checklist in _items(source, "checklists.item"):
        if not isinstance(checklist, dict):
            continue
        card = str(checklist.get("idCard"))
        for item in checklist.get("checkItems") or []:
            entry = {"text": str(item.get("name", "")), "done": item.get("state") == "complete"}
            key = (float(checklist.get("pos") or 0), float(item.get("pos") or 0), entry)
            by_card.setdefault(card, []).append(key)
    return {
        card: [e for _, _, e in sorted(items, key=lambda k: (k[0], k[1]))]
        for card, items in by_card.items()
    }


def _card(
    card: dict[str, Any], where: BoardList, checklist: list[dict[str, Any]]
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": card.get("name"),
        "description": card.get("desc") or "",
        "status": where.status,
        "position": where.rank * LIST_SPAN + min(float(card.get("pos") or 0), LIST_SPAN - 1),
    }
    if card.get("due"):
        fields["due_date"] = str(card["due"])[:10]
    labels = [_label(label) for label in card.get("labels") or [] if isinstance(label, dict)]
    if labels:
        fields["labels"] = labels
    if checklist:
        fields["checklist"] = checklist
    return fields


def parse(source: Source, notes: Notes) -> Iterator[Entry]:
    try:
        lists = _lists(source)
        if not lists:
            raise BadFile('no open "lists": not a Trello board export')
        checklists = _checklists(source)
        for row, card in enumerate(_items(source, "cards.item"), 1):
            if not isinstance(card, dict):
                yield Entry(row, {}, "a card must be a JSON object")
                continue
            where = lists.get(str(card.get("idList")))
            if card.get("closed") or where is None:
                notes.skipped += 1  # archived, or on an archived list
                continue
            yield Entry(row, _card(card, where, checklists.get(str(card.get("id")), [])))
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise BadFile(f"not valid JSON: {exc}") from None
