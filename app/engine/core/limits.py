"""The engine's limits on everything a user controls: each limit is written here once.

Every field is a positive number with a one-line description. The API's settings
(app/api/settings.py) make one setting per field — `GRADWALK_` + the field's name in capitals,
e.g. `GRADWALK_MAX_NODES` — with this default and description, and build a `Limits` from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _limit(default: float, description: str):
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class Limits:
    #: the seed network's largest tensor, w1, has 100,000 elements
    max_tensor_elements: int = _limit(1_000_000, "elements in any one tensor")
    max_total_elements: int = _limit(4_000_000, "elements over all node values of a graph")
    #: a 500-node graph lays out in well under 300 ms and plays with its groups collapsed
    #: (bench/layout.py, bench/frontend.py)
    max_nodes: int = _limit(1_000, "nodes in a graph (leaves, constants and ops)")
    max_iterations: int = _limit(5_000, "training iterations of a run")
    max_source_chars: int = _limit(20_000, "characters of expression source")
    #: the seed network's 500 iterations cost 1.3e10 (budget.py counts them from the shapes)
    max_compute: int = _limit(
        60_000_000_000,
        "element operations of a run: training every iteration and tracing one, counted from "
        "the shapes before any work",
    )
    max_compute_seconds: float = _limit(
        60.0, "seconds one request may compute before the watchdog stops it (a safety net "
              "answered 503 with Retry-After; the budget is max_compute)"
    )
    #: symbolic differentiation writes the loss out element by element (app/engine/instruments/swell.py):
    #: each bound is checked before SymPy is asked for anything, and a 413 names the one passed
    max_symbolic_work: int = _limit(
        100_000, "scalar operations of writing the loss out element by element for symbolic "
                 "differentiation (the ops' FLOPs, from the shapes)")
    max_symbolic_leaves: int = _limit(
        512, "leaf elements (SymPy symbols) the loss written out for symbolic differentiation "
             "may have")
    #: deep-tanh (width 2, N 1) at depth 8 tallies 3,588 and is answered in 0.6 s of CPU
    #: (bench/symbolic.py); d2l-mlp-l2's defaults tally 8,157 and are refused
    max_symbolic_nodes: int = _limit(
        4_000, "nodes of the loss written as one expression for symbolic differentiation, "
                "counted before it is written")
