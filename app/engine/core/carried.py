"""Summaries a run's traces share, so that no trace summarises an array another one did.

- A leaf that no update changes (an input, labels, a constant) is the very same array in every
  iteration: summarised once per run.
- A parameter entering iteration t is made twice: as iteration t − 1's update, and as iteration
  t's starting value (a fresh copy from training). Stepping from iteration t − 1 to t, or making
  iteration t's trace again, finds its summary here instead of summarising it again. A summary
  is given back only for an array bit for bit equal to the one it was made of (the same array,
  or one compared byte for byte with it while that is still alive), so what is shown never
  depends on which trace made it.

Not thread-safe on its own: a run's traces are read under the run's lock (app/api/store.py).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from app.engine.presenter.summary import Summary

#: the iterations whose parameters' summaries are kept (the most recently made): the one shown,
#: its neighbours, the one stepped from
ITERATIONS_KEPT = 4


def _same_bits(a, b) -> bool:
    """Whether a and b hold the same float64 numbers bit for bit (NaN payloads, −0.0 and all)."""
    if a.shape != b.shape or a.dtype != np.float64 or b.dtype != np.float64:
        return False
    return bool(np.array_equal(np.ascontiguousarray(a).view(np.uint64),
                               np.ascontiguousarray(b).view(np.uint64)))


class SharedSummaries:
    """The summaries of a run's unchanging leaves, and of its parameters per iteration."""

    def __init__(self) -> None:
        #: leaf -> (its array, its summary); the arrays are the run's own leaves
        self._leaves: dict[str, tuple[np.ndarray, Summary]] = {}
        #: iteration -> parameter -> (a weak reference to the array, its summary)
        self._params: OrderedDict[int, dict[str, tuple[Callable, Summary]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._leaves) + sum(len(kept) for kept in self._params.values())

    def find(self, nid: str, param: bool, iteration: int, array: np.ndarray) -> Summary | None:
        """The summary of `array`, leaf `nid`'s value entering `iteration`, if one was made."""
        if not param:
            known = self._leaves.get(nid)
            return known[1] if known is not None and known[0] is array else None
        known = self._params.get(iteration, {}).get(nid)
        if known is None:
            return None
        made_of = known[0]()
        if made_of is None:  # its trace has gone: nothing to compare with
            self._params.get(iteration, {}).pop(nid, None)
            return None
        return known[1] if made_of is array or _same_bits(made_of, array) else None

    def keep(self, nid: str, param: bool, iteration: int, array: np.ndarray,
             summary: Summary) -> None:
        """Keep the summary of `array`, leaf `nid`'s value entering `iteration`."""
        if not param:
            self._leaves[nid] = (array, summary)
            return
        kept = self._params.setdefault(iteration, {})
        self._params.move_to_end(iteration)
        # a numpy scalar (a scalar parameter's update) cannot be referred to weakly: it is
        # immutable and small, so it is held
        kept[nid] = (weakref.ref(array) if isinstance(array, np.ndarray) else lambda: array,
                     summary)
        while len(self._params) > ITERATIONS_KEPT:
            self._params.popitem(last=False)
