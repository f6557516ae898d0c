"""Bounded least-recently-used caches, safe to share between the threadpool's threads.

Holds whatever it is given (runs, traces, encoded response bodies); bounds it by a count of
entries and, optionally, by a total weight such as bytes. Knows nothing of HTTP or the engine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A mapping that forgets its least recently used entries beyond its bounds."""

    def __init__(
        self,
        max_items: int,
        max_weight: int | None = None,
        weigh: Callable[[V], int] = lambda value: 1,
    ):
        self.max_items = max_items
        self.max_weight = max_weight
        self._weigh = weigh
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> V:
        """Store `value` (or keep the one already there) and return what is stored."""
        weight = self._weigh(value)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
            if self.max_weight is not None and weight > self.max_weight:
                return value  # larger than the whole cache: serve it, keep nothing
            self._entries[key] = (value, weight)
            self._weight += weight
            while len(self._entries) > self.max_items or (
                self.max_weight is not None and self._weight > self.max_weight
            ):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._weight -= dropped
            return value

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def weight(self) -> int:
        return self._weight
