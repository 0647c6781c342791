"""Functions of cached bodies, remembered per body object (a member's view of a project).

A cache hit on `GET /api/projects/{id}` splices the caller's role into the shared body,
which copies the whole body (~600 KB for 1 000 tasks). A local copy is served as the very
same bytes object until a write retires it, so the view made from it can be reused: entries
are keyed by the body's identity and hold the body itself, so that identity cannot be
reused while its entry lives. A new body (after a write or a refill) is a new object, so a
view never outlives the body it was made from.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache

N = TypeVar("N", bound=Hashable)


class Views:
    """Bounded by bytes (a body counts once per view made from it); least recently used go first."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        # (id of the body, name) → (the body itself, its view)
        self._views: LRUCache[tuple[int, Hashable], tuple[bytes, bytes]] = LRUCache(
            max_bytes, getsizeof=_entry_size
        )

    @property
    def held_bytes(self) -> int:
        return int(self._views.currsize)

    def get(self, body: bytes, name: N, make: Callable[[bytes, N], bytes]) -> bytes:
        """`make(body, name)`, made once per body object and `name`."""
        key = (id(body), name)
        entry = self._views.get(key)
        if entry is not None and entry[0] is body:
            return entry[1]
        view = make(body, name)
        if _entry_size((body, view)) <= self._views.maxsize:  # else cachetools refuses it
            self._views[key] = (body, view)
        return view


def _entry_size(entry: tuple[bytes, bytes]) -> int:
    return len(entry[0]) + len(entry[1])
