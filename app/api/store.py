"""The per-worker registry of runs: run id -> engine Run, its traces and its encoded bodies.

Nothing is shared between workers: a run id carries its whole description, so a worker that
never saw an id rebuilds the run from it. Runs, traced iterations and encoded responses share
one cache bounded by one byte budget (`GRADWALK_CACHE_BYTES`; least recently used first out).
Engine calls on one run are serialised by the run's lock, because a run trains lazily; these
calls block, so the routes make them through `compute` (compute.py: off the event loop, single
flight, a bounded queue). A run that cannot be built (over the compute budget, bad source) is
remembered as failed, so it costs one build however often it is asked for.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from math import prod
from typing import TypeVar

from app.api import runids
from app.api.cache import LRU
from app.api.compute import Compute
from app.api.drawings import Drawings
from app.api.settings import Settings
from app.engine.core.errors import BusyError, GradwalkError
from app.engine.core.run import Run, RunSpec
from app.engine.core.trace import Trace
from app.engine.instruments import budget


@dataclass(frozen=True)
class Encoded:
    """A response body encoded once, with what is needed to serve it again byte for byte."""

    body: bytes
    media_type: str
    gzipped: bytes | None = None
    etag: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


T = TypeVar("T")

#: what a cached run or trace costs beyond the arrays it counts (objects, dicts, graph)
OVERHEAD_BYTES = 64 * 1024

#: what a remembered failure costs in the cache
FAILURE_BYTES = 2048

#: bodies smaller than this are not worth a gzip header
GZIP_MINIMUM_BYTES = 1000

#: work counted at most this many element operations (a fifth of a second at the budget's
#: 1e9 a second) runs in the compute pool's light lane (compute.py)
LIGHT_COST = 200_000_000
#: a run's document lays out its graph: up to this many nodes it is light work
LIGHT_NODES = 200


#: glibc's malloc_trim: a computation frees most of what it made (its JSON, a tape's arrays),
#: but glibc keeps the freed pages in each thread's arena, so without giving them back after
#: each computation a worker's RSS stayed ~70 MiB above what its cache holds
try:
    _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc: nothing to trim
    _TRIM = None


#: a computation this long gives back what it freed (a short one frees little, and trimming
#: a heap the heavy threads are using would only make it wait)
TRIM_AFTER_SECONDS = 0.05


def _computed(work: Callable[[], T], seconds: float) -> T:
    """`work()` under the watchdog, the memory it freed given back to the system after."""
    start = time.monotonic()
    try:
        return budget.watched(work, seconds)
    finally:
        if _TRIM is not None and time.monotonic() - start > TRIM_AFTER_SECONDS:
            _TRIM(0)


def encoded(body: bytes, media_type: str = "application/json", headers=None) -> Encoded:
    """Encode a body once: its ETag and (mtime 0, so byte-stable) gzip are computed here."""
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    gzipped = None
    if len(body) >= GZIP_MINIMUM_BYTES:
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    return Encoded(body, media_type, gzipped, digest, tuple((headers or {}).items()))


@dataclass
class RunEntry:
    run_id: str
    run: Run
    #: the Run JSON, layout included
    document: Encoded
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class RunStore:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.limits = settings.engine_limits()
        #: ("run", id) -> RunEntry, ("trace", id, t) -> Trace, ("response", key) -> Encoded
        self.cache = LRU(settings.cache_bytes)
        #: where the blocking work of the routes runs (single flight, bounded queue)
        self.compute = Compute(settings.compute_threads, settings.max_queue,
                               partial(_computed, seconds=self.limits.max_compute_seconds),
                               settings.light_threads)
        #: graphs' drawings, made in processes of their own (the GIL stays free)
        self.drawings = Drawings(settings.layout_processes)

    # ----- encoded responses -----

    def response(self, key: str) -> Encoded | None:
        return self.cache.get(("response", key))

    def keep_response(self, key: str, body: Encoded) -> Encoded:
        return self.cache.put(("response", key), body, body.size + 200)

    # ----- runs -----

    def create(self, spec: RunSpec) -> RunEntry:
        """The entry of the run `spec` describes (a new run or the cached one)."""
        prepared = self.prepare(spec)
        return prepared if isinstance(prepared, RunEntry) else self.finish(*prepared)

    def prepare(self, spec: RunSpec) -> RunEntry | tuple[str, Run]:
        """The cached entry of `spec`'s run, or its id and the Run validated and counted (the
        light half of a build: parse, shapes, the budget; `finish` does the rest)."""
        built = None
        if spec.mode == "forward" and spec.direction is None:
            # the default direction written out: one run, one id, however it was asked for
            # (the run built to find it is the run: it is not built again)
            built = Run(spec, self.limits)
            leaf, index = built.direction
            spec = dataclasses.replace(spec, direction={"leaf": leaf, "index": list(index)})
        run_id = runids.encode(spec)
        found = self.cache.get(("run", run_id))
        if found is not None:
            return found
        self.raise_failure(run_id)
        return run_id, built or self._build(run_id, spec)

    def _build(self, run_id: str, spec: RunSpec) -> Run:
        """The run validated and counted (a failure remembered: it is built once)."""
        try:
            return Run(spec, self.limits)
        except GradwalkError as error:
            self._remember(run_id, error)
            raise

    def finish(self, run_id: str, run: Run) -> RunEntry:
        """The entry of a prepared run: its backwards checked, its document laid out."""
        found = self.cache.get(("run", run_id))
        if found is not None:
            return found
        try:
            document = encoded(self.drawings.run_body(run_id, run.describe()))
        except GradwalkError as error:
            self._remember(run_id, error)
            raise
        entry = self.cache.put(("run", run_id), RunEntry(run_id, run, document),
                               run.nbytes + document.size + OVERHEAD_BYTES)
        runids.check_length(run_id, self.settings.max_run_id_chars)  # after: its own limit first
        return entry

    def prepare_id(self, run_id: str) -> RunEntry | tuple[str, Run]:
        """`prepare` for a run id: decoded, then as `prepare` (a failure remembered as asked)."""
        found = self.cache.get(("run", run_id))
        if found is not None:
            return found
        self.raise_failure(run_id)
        spec = runids.decode(
            run_id, self.settings.max_run_id_chars, self.settings.max_run_id_json_bytes
        )
        try:
            return self.prepare(spec)
        except GradwalkError as error:
            self._remember(run_id, error)
            raise

    @staticmethod
    def light(run: Run, cost: int | None = None) -> bool:
        """Whether work of `cost` (default: finishing the run — its checks and its layout) on
        `run` is light: it runs in the compute pool's light lane."""
        if cost is None:
            cost = run.cost.checks
            if len(run.graph.nodes) > LIGHT_NODES:
                return False
        return cost <= LIGHT_COST

    def entry(self, run_id: str) -> RunEntry:
        """The entry of an existing run id; decodes and rebuilds the run on a miss."""
        found = self.cache.get(("run", run_id))
        if found is not None:
            return found
        self.raise_failure(run_id)
        spec = runids.decode(
            run_id, self.settings.max_run_id_chars, self.settings.max_run_id_json_bytes
        )
        # Another zlib may have packed the same description differently: one run, one id.
        canonical_id = runids.encode(spec)
        found = self.cache.get(("run", canonical_id))
        if found is not None:
            return found
        try:
            prepared = self.prepare(spec)
            return prepared if isinstance(prepared, RunEntry) else self.finish(*prepared)
        except GradwalkError as error:
            self._remember(run_id, error)  # as asked, so the next request is answered at once
            raise

    def has_run(self, run_id: str) -> bool:
        """Whether the run of `run_id` (as written) is built and cached."""
        return self.cache.get(("run", run_id)) is not None

    # ----- failures -----

    def failure(self, run_id: str) -> GradwalkError | None:
        """The failure remembered for `run_id`: a run that cannot be built (over a limit, bad
        source) fails the same way on every request, so it is built once."""
        return self.cache.get(("failure", run_id))

    def raise_failure(self, run_id: str) -> None:
        failed = self.failure(run_id)
        if failed is not None:
            raise failed.with_traceback(None)

    def _remember(self, run_id: str, error: GradwalkError) -> None:
        if not isinstance(error, BusyError):  # busy is a moment, not an answer
            self.cache.put(("failure", run_id), error, FAILURE_BYTES)

    @staticmethod
    def _weight(entry: RunEntry) -> int:
        return entry.run.nbytes + entry.document.size + OVERHEAD_BYTES

    def with_run(self, run_id: str, use: Callable[[Run], T]) -> T:
        """`use(run)` under the run's lock; the run's weight is corrected after (it may have
        trained), read under the lock too (its checkpoints change only under it)."""
        entry = self.entry(run_id)
        with entry.lock:
            result = use(entry.run)
            weight = self._weight(entry)
        self.cache.reweigh(("run", entry.run_id), weight)
        return result

    def with_trace(self, run_id: str, iteration: int, use: Callable[[Trace], T]) -> T:
        """`use(trace)` of iteration `iteration` under the run's lock, the trace cached and
        weighed by the bytes it keeps."""
        entry = self.entry(run_id)
        key = ("trace", entry.run_id, iteration)
        with entry.lock:
            trace = self.cache.get(key)
            if trace is None:
                # its values and gradients, and as much again for its document
                graph = entry.run.graph
                self.cache.reserve(4 * 8 * sum(prod(n.shape) for n in graph.nodes.values()))
                trace = entry.run.trace(iteration)
                self.cache.reweigh(("run", entry.run_id), self._weight(entry))
            result = use(trace)
            self.cache.put(key, trace, trace.nbytes + OVERHEAD_BYTES)
            self.cache.reweigh(key, trace.nbytes + OVERHEAD_BYTES)
        return result
