"""Graph drawings and run documents made in processes of their own, so the GIL stays free.

Laying out a graph never seen is pure Python — seconds for a few hundred nodes — and a thread
doing it holds the GIL that the event loop needs to answer anything, even `/healthz`; so do
making a run document's dicts and encoding them. So the store does both in a pool of
`processes` worker processes (made at first use, one per server process: every store of the
process shares it; 0: here, in the calling thread). A drawing depends on its graph's content
only (app/drawing/layout.py's `content` and `geometry`); the last drawings are kept here, in a cache of
their own, and sent along with the work that needs them. The calling thread waits without the
GIL. A graph of at most `HERE_NODES` nodes is drawn and its document made here: a few
milliseconds, less than the trip to the pool, and no pool is started for it (a server that
serves small graphs only has none). The queue is bounded by the threads that can ask
(app/api/compute.py admits at most `max_queue` computations and runs `compute_threads` +
`light_threads` of them at once); a pool whose process died is made again, and that work done
here.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from app.api import present
from app.drawing.layout import CACHED_LAYOUTS, content, geometry

#: a graph this small is drawn here (the presets: 1-5 ms with its document; a 46-node graph
#: took 0.1 s, an 86-node one 1 s)
HERE_NODES = 32

#: the pool of this process (one, however many stores: the cores are the process's)
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor(processes: int) -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn: the workers inherit none of this process's threads and locks, and are its
            # children (so they can see it go)
            _pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_watch_parent, initargs=(os.getpid(),))
            # every worker started now (a pool starts them as work comes, and a start imports
            # the engine: a second of CPU in the middle of the load otherwise)
            for _ in range(processes):
                _pool.submit(_ready)
        return _pool


def _ready() -> None:
    """A worker's first task: importing what the drawings need before they come."""
    present.encode_json(None)


def _watch_parent(parent: int) -> None:
    """In a worker: exit when the server that started it is gone. A server that exits shuts
    its pool down; one that is killed cannot, and its workers would wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="gradwalk-parent-watch").start()


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
        #: drawings made (not found in the cache), and work done in the pool (for the tests)
        self.drawn = 0
        self.done_apart = 0

    def geometry(self, key: str) -> tuple:
        """app/drawing/layout.py's `geometry(key)`, computed in the pool."""
        drawn = self._cached(key)
        if drawn is None:
            drawn = self._apart(len(json.loads(key)[1]) <= HERE_NODES, geometry, key)
            self._keep(key, drawn)
        return drawn

    def run_body(self, run_id: str, description: dict) -> bytes:
        """The Run JSON of a run's description, encoded — laid out and encoded in the pool
        too (both hold the GIL: the graph's dicts are made and written there)."""
        key = content(description["graph"])
        drawn = self._cached(key)
        here = len(description["graph"]["nodes"]) <= HERE_NODES
        body, drawn = self._apart(here, _run_body, run_id, description, drawn)
        self._keep(key, drawn)
        return body

    def _apart(self, here: bool, function, *args):
        if here or self.processes == 0:
            return function(*args)
        pool = _executor(self.processes)
        try:
            result = pool.submit(function, *args).result()  # waits without the GIL
        except BrokenProcessPool:
            _broken(pool)
            return function(*args)
        self.done_apart += 1
        return result

    def _cached(self, key: str) -> tuple | None:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def _keep(self, key: str, drawn: tuple) -> None:
        with self._lock:
            if key not in self._cache:
                self.drawn += 1
            self._cache[key] = drawn
            while len(self._cache) > CACHED_LAYOUTS:
                self._cache.popitem(last=False)


def _run_body(run_id: str, description: dict, drawn: tuple | None) -> tuple[bytes, tuple]:
    """(the Run JSON's bytes, the drawing it used): `drawn` if given, else drawn here."""
    used = []

    def draw(key: str) -> tuple:
        used.append(drawn if drawn is not None else geometry(key))
        return used[-1]

    return present.encode_json(present.run_document(run_id, description, draw)), used[0]
