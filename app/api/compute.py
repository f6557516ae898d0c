"""Where CPU-heavy work runs: off the event loop, one computation per key, a bounded queue.

Every blocking computation a route needs (building a run, training, tracing, layout, encoding)
is submitted here with a key (what it computes: the response's cache key, the run's id) and a
group (the run it belongs to). Then:

- **single flight**: concurrent requests for the same key share one computation; the waiting
  requests await its result on the event loop and hold no thread;
- **one computation per run at a time**: the engine serialises the calls on one run (it trains
  lazily), so a request for another iteration of a busy run waits here, on the event loop, not
  in a worker thread blocked on the run's lock;
- **a bounded queue**: at most `max_queue` computations are admitted (running or waiting); one
  more is answered at once with 503 and `Retry-After` (BusyError) instead of piling up;
- a fixed pool of `threads` worker threads does the work, each item inside `around` (the
  store's watchdog: every computation of the pool has a deadline, not only training);
- **a light lane**: work the caller counted as light (a small run's build, trace or answer,
  well under a second) runs on threads of its own, so it never waits behind the heavy work
  of others (two clients asking for costly answers occupy `threads`, not the server).

Nothing here knows the engine or HTTP; the store decides what a failure means.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from app.engine.core.errors import BusyError


class Compute:
    def __init__(self, threads: int, max_queue: int,
                 around: Callable[[Callable[[], Any]], Any] | None = None,
                 light_threads: int = 1):
        self.threads = threads
        self._around = around
        self.max_queue = max_queue
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="gradwalk-compute")
        self._light = ThreadPoolExecutor(light_threads, thread_name_prefix="gradwalk-light")
        #: key -> the task computing it (its result is every waiting request's)
        self._flights: dict[Hashable, asyncio.Task] = {}
        #: group -> [its lock, the computations admitted for it]
        self._groups: dict[Hashable, list] = {}
        #: computations admitted and not finished (running or waiting for their group)
        self.admitted = 0
        #: requests answered by a computation already in flight (for the tests and benches)
        self.shared = 0

    async def run(self, key: Hashable, work: Callable[[], Any], group: Hashable = None,
                  light: bool = False) -> Any:
        """`work()`'s result, computed once for every concurrent request of `key` (in the
        light lane if `light`)."""
        task = self._flights.get(key)
        if task is not None:
            self.shared += 1
        else:
            if self.admitted >= self.max_queue:
                raise BusyError(
                    f"the server is busy: {self.admitted} computations are already queued "
                    f"(max_queue is {self.max_queue}); send the request again shortly",
                    retry_after=1,
                )
            self.admitted += 1
            task = asyncio.ensure_future(self._compute(key, work, group, light))
            task.add_done_callback(_retrieved)
            self._flights[key] = task
        # shield: a request that goes away does not cancel the computation the others wait for
        return await asyncio.shield(task)

    async def _compute(self, key: Hashable, work: Callable[[], Any], group: Hashable,
                       light: bool) -> Any:
        if self._around is not None:
            work = partial(self._around, work)
        executor = self._light if light else self._executor
        held = self._groups.setdefault(group, [asyncio.Lock(), 0]) if group is not None else None
        try:
            if held is None:
                return await asyncio.get_running_loop().run_in_executor(executor, work)
            held[1] += 1
            try:
                async with held[0]:
                    return await asyncio.get_running_loop().run_in_executor(executor, work)
            finally:
                held[1] -= 1
                if held[1] == 0:
                    self._groups.pop(group, None)
        finally:
            self.admitted -= 1
            self._flights.pop(key, None)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._light.shutdown(wait=False, cancel_futures=True)


def _retrieved(task: asyncio.Task) -> None:
    """Mark a failed computation's exception as seen even if every request went away."""
    if not task.cancelled():
        task.exception()
