"""What a run costs, counted from its shapes before any work: the deterministic compute budget.

A run's cost is counted in element operations: every op of the schedule costs its FLOPs (the
op registry's `flops`, from the shapes) plus a fixed `CALL_COST` for the numpy call itself (a
graph of many tiny ops is slow for its calls, not its arithmetic). One training iteration is
the forward events, the backward sends the parameters need (a VJP costs about its op's forward
again, an accumulation one element operation per element) and the updates; a traced iteration
is the whole sweep (every gradient, the viewer's summaries) plus `TRACE_FACTOR` for what the
tape keeps. The same run has the same cost on every worker under any load, so whether a run id
is within the budget never depends on the moment it is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .graph import Graph
from .ops import op_flops
from .schedule import Event, Schedule

#: element operations one numpy call costs beyond its arithmetic (about 10 µs of numpy and
#: interpreter overhead at the ~1e9 element operations per second one core does here)
CALL_COST = 10_000
#: a traced iteration against a training iteration: every gradient, summaries, copies kept
TRACE_FACTOR = 4


@dataclass(frozen=True)
class Cost:
    """A run's cost in element operations."""

    #: one training iteration (forward, the parameters' backward sends, the updates)
    per_iteration: int
    iterations: int
    #: one traced iteration (the whole sweep, summaries and copies)
    trace: int

    @property
    def training(self) -> int:
        return self.per_iteration * self.iterations

    @property
    def total(self) -> int:
        """Training every iteration and tracing one: what a run may cost at most."""
        return self.training + self.trace

    def replay(self, iterations: int) -> int:
        return self.per_iteration * iterations


def _op_cost(graph: Graph, nid: str) -> int:
    node = graph.nodes[nid]
    shapes = (graph.nodes[i].shape for i in node.inputs)
    return op_flops(graph.op(nid), node.shape, *shapes) + CALL_COST


def _numel(graph: Graph, nid: str) -> int:
    return prod(graph.nodes[nid].shape)


def events_cost(graph: Graph, events: list[Event]) -> int:
    """Element operations of running `events` once."""
    cost = 0
    for event in events:
        if event.phase == "forward":
            cost += _op_cost(graph, event.node)
        elif event.phase == "backward":
            op = _op_cost(graph, event.node)
            for send in event.sends:
                cost += op + (_numel(graph, send.edge.source) + CALL_COST) * send.accumulate
        elif event.phase == "update":
            cost += 2 * _numel(graph, event.node) + CALL_COST
        else:  # load, seed
            cost += CALL_COST
    return cost


def cost(schedule: Schedule, sweep: Schedule, iterations: int) -> Cost:
    """The cost of training `schedule` for `iterations` and tracing one iteration of `sweep`
    (the schedule itself in reverse mode, forward mode's sweep otherwise)."""
    graph = schedule.graph
    per_iteration = events_cost(graph, schedule.pruned(schedule.parameters))
    values = sum(_numel(graph, n) for n in graph.nodes)
    trace = TRACE_FACTOR * (events_cost(graph, sweep.events) + 2 * values)
    return Cost(per_iteration, iterations, trace)
