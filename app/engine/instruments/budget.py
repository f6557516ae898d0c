"""What a run costs, counted from its shapes before any work: the deterministic compute budget.

A run's cost is counted in element operations: every op of the schedule costs its FLOPs (the
op registry's `flops`, from the shapes) plus a fixed `CALL_COST` for the numpy call itself (a
graph of many tiny ops is slow for its calls, not its arithmetic). One training iteration is
the forward events, the backward sends the parameters need (a VJP costs about its op's forward
again, an accumulation one element operation per element) and the updates; a traced iteration
is the whole sweep (every gradient, the viewer's summaries) plus `TRACE_FACTOR` for what the
tape keeps. The same run has the same cost on every worker under any load, so whether a run id
is within the budget never depends on the moment it is asked for.

The same count guards every other computing route: `charge(cost, limits, what, reduce)` refuses
work over `max_compute` before it starts (413 naming what to reduce), `op_work` and
`events_cost` count an op or a list of events, and `watchdog`/`check_time` are the wall-clock
safety net every computation of the compute pool runs under.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from math import prod
from typing import TypeVar

from app.engine.core.errors import BusyError, LimitError
from app.engine.core.graph import Graph
from app.engine.core.schedule import Backward, Event, EventReader, Forward, Load, Schedule, Update
from app.engine.instruments.cost import CALL_COST, Work  # noqa: F401 (the budget's unit, read from here too)
from app.engine.ops.registry import Op, op_flops

#: a traced iteration against a training iteration: every gradient, summaries, copies kept
TRACE_FACTOR = 4


def op_work(op: Op, out_shape, *input_shapes) -> Work:
    """The registry's ops: their FLOPs and one call, for each rule; an op the source defines
    says what its definition runs (custom.py)."""
    if op.work is not None:
        return op.work(tuple(out_shape), *map(tuple, input_shapes))
    each = op_flops(op, out_shape, *input_shapes) + CALL_COST
    return Work(each, each, each)


def charge(cost: int, limits, what: str, reduce: str) -> int:
    """Refuse work whose counted `cost` (element operations) is over the budget, before it
    starts: LimitError (413) naming `what` was counted and what to `reduce`. Every route
    that computes calls this (or counts into a run's Cost) before any numerics."""
    if cost > limits.max_compute:
        raise LimitError("max_compute", limits.max_compute, cost,
                         f"for {what} (counted from the shapes before any work; {reduce})")
    return cost


T = TypeVar("T")
#: the deadline of the computation running on this thread (None: no watchdog)
_clock = threading.local()


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """A deadline for the computation run inside: every loop of counted work calls
    `check_time`, so a computation the count got wrong stops instead of holding a thread.
    A safety net only: the budget is the count."""
    previous = getattr(_clock, "deadline", None)
    _clock.deadline = time.monotonic() + seconds
    _clock.seconds = seconds
    try:
        yield
    finally:
        _clock.deadline = previous


def watched(work: Callable[[], T], seconds: float) -> T:
    """`work()` under a watchdog of `seconds` (what the compute pool runs every work item
    in)."""
    with watchdog(seconds):
        return work()


def check_time(what: str) -> None:
    """BusyError (503, Retry-After) when this thread's computation is past its deadline."""
    deadline = getattr(_clock, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise BusyError(f"the server is busy: {what} stopped after {_clock.seconds:g} s "
                        f"(max_compute_seconds); send the request again later", retry_after=2)


def graph_work(graph: Graph) -> Work:
    """One pass over a graph's ops: its forward, its reverse sweep (a VJP per input of every
    op) and its forward-mode sweep (a JVP per input)."""
    forward = vjp = jvp = 0
    for node in graph.ops:
        work = _work(graph, node.id)
        forward += work.forward
        vjp += work.vjp * len(node.inputs)
        jvp += work.jvp * len(node.inputs)
    return Work(forward, forward + vjp, forward + jvp)


@dataclass(frozen=True)
class Cost:
    """A run's cost in element operations."""

    #: one training iteration (forward, the parameters' backward sends, the updates)
    per_iteration: int
    iterations: int
    #: one traced iteration (the whole sweep, summaries and copies)
    trace: int
    #: the checks of hand-written backwards against finite differences (custom.py)
    checks: int = 0

    @property
    def training(self) -> int:
        return self.per_iteration * self.iterations

    @property
    def total(self) -> int:
        """Training every iteration, tracing one and checking the backwards: what a run may
        cost at most."""
        return self.training + self.trace + self.checks

    def replay(self, iterations: int) -> int:
        return self.per_iteration * iterations


def _work(graph: Graph, nid: str) -> Work:
    node = graph.nodes[nid]
    shapes = (graph.nodes[i].shape for i in node.inputs)
    return op_work(graph.op(nid), node.shape, *shapes)


def _numel(graph: Graph, nid: str) -> int:
    return prod(graph.nodes[nid].shape)


class _Counted(EventReader):
    """Element operations of the events read (with tangents: forward mode's)."""

    def __init__(self, graph: Graph, tangents: bool):
        self.graph, self.tangents, self.cost = graph, tangents, 0

    def on_load(self, event: Load, k: int) -> None:
        self.cost += CALL_COST

    on_seed = on_load

    def on_forward(self, event: Forward, k: int) -> None:
        work = _work(self.graph, event.node)
        self.cost += work.forward
        if self.tangents:  # forward mode: a JVP per input (an upper bound: those that carry one)
            self.cost += work.jvp * len(self.graph.nodes[event.node].inputs)

    def on_backward(self, event: Backward, k: int) -> None:
        vjp = _work(self.graph, event.node).vjp
        for send in event.sends:
            self.cost += vjp + (_numel(self.graph, send.edge.source) + CALL_COST) * send.accumulate

    def on_update(self, event: Update, k: int) -> None:
        self.cost += 2 * _numel(self.graph, event.node) + CALL_COST


def events_cost(graph: Graph, events: list[Event], tangents: bool = False) -> int:
    """Element operations of running `events` once (with tangents: forward mode's)."""
    counted = _Counted(graph, tangents)
    counted.read(events)
    return counted.cost


def cost(schedule: Schedule, sweep: Schedule, iterations: int, checks: int = 0) -> Cost:
    """The cost of training `schedule` for `iterations` and tracing one iteration of `sweep`
    (the schedule itself in reverse mode, forward mode's sweep otherwise), and of `checks`."""
    graph = schedule.graph
    per_iteration = events_cost(graph, schedule.pruned(schedule.parameters))
    values = sum(_numel(graph, n) for n in graph.nodes)
    sweep_cost = events_cost(graph, sweep.events, tangents=sweep.mode == "forward")
    trace = TRACE_FACTOR * (sweep_cost + 2 * values)
    return Cost(per_iteration, iterations, trace, checks)
