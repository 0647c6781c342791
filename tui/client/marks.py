"""The marked tasks of a board, by id: bulk keys act on them. Ids, not rows, so live updates,
filters and moves never lose or shift a mark; a task gone from the project drops out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence


class Marks:
    def __init__(self) -> None:
        self.ids: set[uuid.UUID] = set()
        self.anchor: uuid.UUID | None = None  # the last task marked by hand: where `V` starts

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self.ids

    def toggle(self, task_id: uuid.UUID) -> None:
        if task_id in self.ids:
            self.ids.discard(task_id)
        else:
            self.ids.add(task_id)
        self.anchor = task_id

    def mark_range(self, order: Sequence[uuid.UUID], cursor: uuid.UUID) -> None:
        """Mark from the anchor to the cursor along `order` (a column, or the list's rows);
        an anchor not in `order` marks the cursor alone, which becomes the anchor."""
        end = order.index(cursor)
        start = order.index(self.anchor) if self.anchor in order else end
        low, high = sorted((start, end))
        self.ids.update(order[low : high + 1])
        self.anchor = cursor

    def mark_all(self, ids: Iterable[uuid.UUID]) -> None:
        self.ids.update(ids)

    def clear(self) -> None:
        self.ids.clear()
        self.anchor = None

    def keep(self, present: Iterable[uuid.UUID]) -> bool:
        """Drop the marks of tasks no longer there; True when any went."""
        gone = self.ids.difference(present)
        self.ids -= gone
        if self.anchor in gone:
            self.anchor = None
        return bool(gone)
