"""Graph drawings computed in processes of their own, so that the GIL stays free.

Laying out a graph never seen is pure Python — seconds for a few hundred nodes — and a thread
doing it holds the GIL that the event loop needs to answer anything, even `/healthz`. So the
store draws in a pool of `processes` worker processes (made at first use, one per server
process: every store of the process shares it; 0: here, in the calling thread). A drawing
depends on its graph's content only (app/layout.py's `geometry`), which is sent as a string
and comes back as tuples; the last drawings are kept here, in a cache of their own. The calling
thread waits without the GIL. The queue is bounded by the threads that can ask
(app/api/compute.py admits at most `max_queue` computations and runs `compute_threads` +
`light_threads` of them at once); a pool whose process died is made again, and that drawing
made here.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from app.layout import CACHED_LAYOUTS, geometry

#: the pool of this process (one, however many stores: the cores are the process's)
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor(processes: int) -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # forkserver: the workers do not inherit this process's threads and locks
            _pool = ProcessPoolExecutor(processes,
                                        mp_context=multiprocessing.get_context("forkserver"))
        return _pool


def _broken(pool: ProcessPoolExecutor) -> None:
    """A worker of `pool` died (killed): the next drawing makes a new pool."""
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None


class Drawings:
    def __init__(self, processes: int):
        self.processes = processes
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple] = OrderedDict()
        #: drawings made in the pool (for the tests and benches)
        self.drawn_apart = 0

    def geometry(self, content: str) -> tuple:
        """app/layout.py's `geometry(content)`, computed in the pool."""
        with self._lock:
            found = self._cache.get(content)
            if found is not None:
                self._cache.move_to_end(content)
                return found
        if self.processes == 0:
            drawn = geometry(content)
        else:
            pool = _executor(self.processes)
            try:
                drawn = pool.submit(geometry, content).result()
                self.drawn_apart += 1
            except BrokenProcessPool:
                _broken(pool)
                drawn = geometry(content)
        with self._lock:
            self._cache[content] = drawn
            while len(self._cache) > CACHED_LAYOUTS:
                self._cache.popitem(last=False)
        return drawn
