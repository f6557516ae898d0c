"""A least-recently-used cache bounded by one byte budget, safe to share between threads.

Holds whatever it is given (runs, traced iterations, encoded response bodies), each with its
weight in bytes; a weight can be corrected later (a run grows when it trains, a trace when its
summaries are made). Knows nothing of HTTP or the engine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class LRU:
    """A mapping that forgets its least recently used entries beyond `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> Any:
        """Keep `value` (or the one already there) and return what is kept. A value larger
        than the whole budget is returned but not kept."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
            if nbytes <= self.max_bytes:
                self._entries[key] = (value, nbytes)
                self._bytes += nbytes
                self._shrink()
            return value

    def reweigh(self, key: Hashable, nbytes: int) -> None:
        """Correct the weight of a kept entry (no-op if it was dropped)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return
            self._bytes += nbytes - found[1]
            self._entries[key] = (found[0], nbytes)
            self._shrink()

    def reserve(self, nbytes: int) -> None:
        """Make room for `nbytes` about to be made (least recently used out first), so a
        computation's own arrays are inside the budget while it runs, not on top of it."""
        with self._lock:
            while self._bytes + nbytes > self.max_bytes and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def _shrink(self) -> None:
        while self._bytes > self.max_bytes and self._entries:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        """The bytes kept now, by the weights given."""
        return self._bytes
