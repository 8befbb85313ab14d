"""A least-recently-used map bounded by entry count and by total size, for the HTTP layer's
in-process stores (persisted queries, cached responses).

Not thread-safe, on purpose: it is only touched from the event loop, so a lock would only cost.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedLRU(Generic[V]):
    """At most ``max_entries`` values whose sizes add up to at most ``max_bytes``; the least
    recently used go first. A value larger than ``max_bytes`` is not kept at all; with either bound
    at 0 nothing is kept."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self.size = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, value: V, size: int) -> bool:
        """Keep ``value`` (``size`` bytes) under ``key``; False when it cannot fit at all."""
        self.pop(key)
        if size > self.max_bytes or self.max_entries < 1:
            return False
        self._items[key] = (value, size)
        self.size += size
        while len(self._items) > self.max_entries or self.size > self.max_bytes:
            _, (_, evicted) = self._items.popitem(last=False)
            self.size -= evicted
        return True

    def pop(self, key: Hashable) -> V | None:
        found = self._items.pop(key, None)
        if found is None:
            return None
        self.size -= found[1]
        return found[0]

    def clear(self) -> None:
        self._items.clear()
        self.size = 0
