"""The per-worker registry of runs: run id -> engine Run, its traces and its encoded bodies.

Nothing is shared between workers: a run id carries its whole description, so a worker that
never saw an id rebuilds the run from it. Everything kept is bounded (least recently used
first out). Engine calls on one run are serialised by the run's lock, because a run trains
lazily and keeps a few traces; these calls block, so they are made from the threadpool,
never on the event loop.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass, field

from app.api import present, runids
from app.api.cache import LRU
from app.api.settings import Settings
from app.engine.run import Run, RunSpec


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


#: bodies smaller than this are not worth a gzip header
GZIP_MINIMUM_BYTES = 1000


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
        self.runs: LRU[str, RunEntry] = LRU(settings.cache_runs)
        self.responses: LRU[str, Encoded] = LRU(
            max_items=1_000_000, max_weight=settings.cache_response_bytes, weigh=lambda e: e.size
        )

    def create(self, spec: RunSpec) -> RunEntry:
        """The entry of the run `spec` describes (a new run or the cached one)."""
        run_id = runids.encode(spec)
        found = self.runs.get(run_id)
        if found is not None:
            return found
        entry = self._build(run_id, spec)  # first, so an over-limit run hears of its own limit
        runids.check_length(run_id, self.settings.max_run_id_chars)
        return entry

    def entry(self, run_id: str) -> RunEntry:
        """The entry of an existing run id; decodes and rebuilds the run on a miss."""
        found = self.runs.get(run_id)
        if found is not None:
            return found
        spec = runids.decode(
            run_id, self.settings.max_run_id_chars, self.settings.max_run_id_json_bytes
        )
        # Another zlib may have packed the same description differently: one run, one id.
        canonical_id = runids.encode(spec)
        return self.runs.get(canonical_id) or self._build(canonical_id, spec)

    def _build(self, run_id: str, spec: RunSpec) -> RunEntry:
        run = Run(spec, self.limits)
        document = encoded(present.encode_json(present.run_document(run_id, run.describe())))
        entry = RunEntry(run_id, run, document)
        return self.runs.put(run_id, entry)

    def trace(self, entry: RunEntry, iteration: int):
        """The engine's trace of one iteration (the run keeps its last few); call with
        `entry.lock` held."""
        return entry.run.trace(iteration)
