"""The garbage collector of a serving process: what it walks while the event loop waits.

CPython's cyclic collector runs under the GIL, and a full collection (generation 2) walks every
tracked object of the process: the event loop answers nothing, not even `/healthz`, until it is
done. A started server holds about 200,000 objects that live as long as it does (modules,
routes, schemas), and every cached run adds a few thousand more (its graph and schedule).
Measured under bench/healthz.py (gc.callbacks timing each collection), full collections took
100-330 ms each, 11 in 15 s, and were the longest waits of `/healthz`.

So the collector walks only what is new:

- once the app has started, everything it holds is moved to the permanent generation
  (`gc.freeze()`), which no collection walks;
- after each full collection, what survived it is frozen too: a cached run is walked by the one
  full collection after it was made, not by every one while it stays cached. A run holds no
  reference cycle (it is freed by its reference count when the cache drops it, frozen or not);
- frozen objects that later become cyclic garbage (a request in flight during a collection:
  its task, its frames) would never be collected, so every UNFREEZE_SECONDS everything is
  unfrozen and the next full collection walks the whole heap once, as CPython's would.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: how often the whole heap is collected once (cyclic garbage frozen in the meantime freed)
UNFREEZE_SECONDS = 600.0


class Collector:
    """Freezes the survivors of each full collection; unfreezes all every `unfreeze_seconds`."""

    def __init__(self, unfreeze_seconds: float = UNFREEZE_SECONDS):
        self.unfreeze_seconds = unfreeze_seconds
        self.unfrozen_at = time.monotonic()
        #: full collections seen, and how many of them unfroze (for the tests)
        self.full = 0
        self.unfrozen = 0

    def start(self) -> None:
        """The objects of the started server frozen, after a last collection of the garbage
        startup made; then the survivors of every full collection."""
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self._collected)

    def stop(self) -> None:
        if self._collected in gc.callbacks:
            gc.callbacks.remove(self._collected)
        gc.unfreeze()

    def _collected(self, phase: str, info: dict) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        self.full += 1
        if time.monotonic() - self.unfrozen_at >= self.unfreeze_seconds:
            # the next full collection walks everything (this one walked the recent only)
            gc.unfreeze()
            self.unfrozen_at = time.monotonic()
            self.unfrozen += 1
        else:
            gc.freeze()


@asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """The app's lifespan (uvicorn runs it before the first request and after the last)."""
    collector = Collector()
    app.state.collector = collector
    collector.start()
    try:
        yield
    finally:
        collector.stop()
