"""Forward mode against reverse mode: what each costs to get a whole Jacobian, counted and timed.

The Jacobian of `of` with respect to the leaves `wrt` has outputs × inputs entries. Forward
mode gets one column per sweep (one input element's tangent set to 1), so it needs one sweep per
input element; reverse mode gets one row per sweep (one output element's cotangent set to 1),
so it needs one sweep per output element. For a scalar loss and many parameters, reverse wins
by the number of parameters — the tutorial's "reverse order"; for a wide output and few
inputs, forward wins. FLOPs are counted from the shapes (the op registry's `flops`); seconds
are measured here, on the same tape that traces iterations, with summaries off.

The measurement is counted like any work (budget.py): a sweep costing more than a
1/SHARE of the compute budget is refused (413), and each mode times only as many sweeps as
fit in that share (then extrapolates), so a request costs at most 2/SHARE of a run's budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from math import prod
from urllib.parse import urlencode

import numpy as np

from app.engine.core.errors import InvalidRequestError, NotFoundError
from app.engine.core.graph import Graph
from app.engine.core.schedule import Backward, Schedule
from app.engine.core.tape import Tape
from app.engine.instruments import budget
from app.engine.ops.registry import op_flops

#: sweeps timed at most per mode: every one up to this many, else a sample of SAMPLE_SWEEPS,
#: extrapolated; and never more than fit in 1/SHARE of the compute budget (counted), nor past
#: MAX_SECONDS (a safety net for a count that is wrong; then measured_all is false)
MEASURE_SWEEPS = 1000
SAMPLE_SWEEPS = 50
SHARE = 64
MAX_SECONDS = 1.0
#: leaves named in ?wrt at most
MAX_WRT = 64


@dataclass
class Sweeps:
    #: sweeps needed for the whole Jacobian
    sweeps: int
    #: FLOPs of one sweep, from the shapes: the forward pass plus the tangent or gradient work
    flops_per_sweep: int
    #: measured on this server: the mean of the sweeps timed, and that times `sweeps`
    seconds_per_sweep: float
    seconds_total: float
    #: every sweep was timed (else a sample, extrapolated)
    measured_all: bool
    #: sweeps timed
    timed: int
    #: the budget's count of one sweep (element operations with the numpy calls)
    cost_per_sweep: int


@dataclass
class ModeCosts:
    of: str
    wrt: list[str]
    outputs: int
    inputs: int
    forward: Sweeps
    reverse: Sweeps


def _forward_flops(graph: Graph, nodes: set[str]) -> int:
    return sum(_flops(graph, n.id) for n in graph.ops if n.id in nodes)


def _flops(graph: Graph, nid: str) -> int:
    node = graph.nodes[nid]
    return op_flops(graph.op(nid), node.shape, *(graph.nodes[i].shape for i in node.inputs))


def resolve(graph: Graph, of: str | None, wrt: list[str] | None) -> tuple[str, list[str]]:
    """The output node and the leaves, checked: 404 for an unknown node, 422 for a wrong
    kind."""
    of = graph.loss if of is None else of
    if of not in graph.nodes:
        raise NotFoundError("node", of, f"nodes are {', '.join(graph.order)}")
    leaves = [n for n in graph.order if graph.nodes[n].kind in ("input", "param")]
    if wrt is None:
        wrt = [p.id for p in graph.parameters] or leaves
    if not wrt or len(wrt) > MAX_WRT:
        raise InvalidRequestError(f"name 1 to {MAX_WRT} leaves", "wrt")
    for leaf in wrt:
        if leaf not in leaves:
            raise InvalidRequestError(f"{leaf!r} is not an input or parameter; leaves: "
                                      f"{', '.join(leaves)}", "wrt")
    wanted = set(wrt)
    return of, [leaf for leaf in leaves if leaf in wanted]


def canonical_query(graph: Graph, of: str | None, wrt: list[str] | None) -> str:
    """The one query string of a question: `of` unless the loss, `wrt` unless the default,
    in the graph's order, each once (404/422 as `resolve` for what is not a leaf), encoded as
    browsers encode a query."""
    of, wrt = resolve(graph, of, wrt)
    parts = [] if of == graph.loss else [("of", of)]
    if wrt != resolve(graph, None, None)[1]:
        parts.append(("wrt", ",".join(wrt)))
    return urlencode(parts)  # as a browser's URLSearchParams writes it (`,` as %2C)


def costs(graph: Graph, leaves: dict[str, np.ndarray], of: str | None = None,
          wrt: list[str] | None = None, limits=None) -> ModeCosts:
    """Forward and reverse mode's cost for the Jacobian of `of` w.r.t. `wrt`, at `leaves`;
    with `limits`, a sweep over 1/SHARE of the budget is refused (LimitError) before any."""
    of, wrt = resolve(graph, of, wrt)
    needed = graph.ancestors(of)
    outputs = prod(graph.nodes[of].shape)
    inputs = sum(prod(graph.nodes[leaf].shape) for leaf in wrt)
    base = _forward_flops(graph, needed)
    live = graph.depending_on(wrt)
    tangent_work = sum(_flops(graph, n.id) * sum(i in live for i in n.inputs)
                       for n in graph.ops if n.id in needed and n.id in live)
    backward = Schedule(graph, wrt, output=of)
    backward.without_updates()
    gradient_work = sum(_flops(graph, e.node) * len(e.sends) for e in backward.of(Backward))
    schedules = {leaf: Schedule.forward_mode(graph, leaf) for leaf in wrt}
    forward_cost = max(budget.events_cost(graph, s.events, tangents=True)
                       for s in schedules.values())
    reverse_cost = budget.events_cost(graph, backward.events)
    share = None
    if limits is not None:
        share = limits.max_compute // SHARE
        for mode, each in (("forward", forward_cost), ("reverse", reverse_cost)):
            budget.charge(each * SHARE, limits,
                          f"timing {mode} mode: one sweep costs {each:.3g} element operations, "
                          f"more than 1/{SHARE} of the budget",
                          "ask about a smaller output (of=) or smaller tensors")
    forward_sweep = _forward_sweeper(graph, leaves, wrt, schedules)
    reverse_sweep = _reverse_sweeper(backward, leaves, graph.nodes[of].shape)
    return ModeCosts(
        of=of, wrt=wrt, outputs=outputs, inputs=inputs,
        forward=_measure(inputs, base + tangent_work, forward_cost, forward_sweep, share),
        reverse=_measure(outputs, base + gradient_work, reverse_cost, reverse_sweep, share),
    )


def _elements(graph: Graph, wrt: list[str]):
    for leaf in wrt:
        for index in np.ndindex(*graph.nodes[leaf].shape):
            yield leaf, tuple(int(i) for i in index)


def _forward_sweeper(graph: Graph, leaves: dict, wrt: list[str], schedules: dict):
    elements = _elements(graph, wrt)

    def sweep() -> None:
        leaf, index = next(elements)
        Tape(schedules[leaf], leaves, 0.0, (leaf, index), summaries=False)

    return sweep


def _reverse_sweeper(schedule: Schedule, leaves: dict, shape: tuple[int, ...]):
    rows = iter(np.ndindex(*shape))

    def sweep() -> None:
        cotangent = np.zeros(shape)
        cotangent[next(rows)] = 1.0
        Tape(schedule, leaves, 0.0, cotangent=cotangent, summaries=False)

    return sweep


def _measure(sweeps: int, flops: int, cost: int, sweep, share: int | None) -> Sweeps:
    """Time every sweep when there are at most MEASURE_SWEEPS, else a sample, never more than
    fit in `share` (counted); extrapolate."""
    wanted = sweeps if sweeps <= MEASURE_SWEEPS else SAMPLE_SWEEPS
    if share is not None:
        wanted = max(1, min(wanted, share // max(cost, 1)))
    timed, elapsed = 0, 0.0
    with np.errstate(all="ignore"):
        while timed < wanted and (timed == 0 or elapsed < MAX_SECONDS):
            budget.check_time("timing the modes")
            start = time.perf_counter()
            sweep()
            elapsed += time.perf_counter() - start
            timed += 1
    per = elapsed / timed
    return Sweeps(sweeps, flops, per, per * sweeps, timed == sweeps, timed, cost)
