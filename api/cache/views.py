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

from api.cache.lru import BytesBoundedLRU

N = TypeVar("N", bound=Hashable)


class Views:
    """Bounded by bytes (a body counts once per view made from it); least recently used go first."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        # (id of the body, name) → (the body itself, its view)
        self._views: BytesBoundedLRU[tuple[int, Hashable], tuple[bytes, bytes]] = BytesBoundedLRU(
            max_bytes, lambda entry: len(entry[0]) + len(entry[1])
        )

    @property
    def held_bytes(self) -> int:
        return self._views.held_bytes

    def get(self, body: bytes, name: N, make: Callable[[bytes, N], bytes]) -> bytes:
        """`make(body, name)`, made once per body object and `name`."""
        key = (id(body), name)
        entry = self._views.get(key)
        if entry is not None and entry[0] is body:
            return entry[1]
        view = make(body, name)
        self._views.put(key, (body, view))
        return view
