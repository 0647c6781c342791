"""A least-recently-used map bounded by the bytes its entries hold (local copies, member views)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BytesBoundedLRU(Generic[K, V]):
    """Entries by key; once their sizes (`size_of`) pass `max_bytes`, the least recently used go."""

    def __init__(self, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self._size_of = size_of
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: K, entry: V) -> None:
        self.pop(key)
        self._entries[key] = entry
        self.held_bytes += self._size_of(entry)
        while self.held_bytes > self.max_bytes:
            self.pop(next(iter(self._entries)))

    def pop(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.held_bytes -= self._size_of(entry)
