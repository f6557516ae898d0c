"""Autodiff against numerical differentiation (D2L 4.7): the gradient check of one iteration.

Automatic differentiation is exact up to round-off; a central difference
(L(p + h·v) − L(p − h·v)) / 2h is not: its truncation error falls as h², its round-off error
grows as ε/h, so its error against autodiff draws a V over h with the best h near ε^(1/3). In
float32 (ε ≈ 1.2e-7) round-off wins much sooner than in float64 (ε ≈ 2.2e-16). The autodiff
gradient is the reverse sweep's (float64); the loss of the differences is evaluated by the same
forward ops in the dtype asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from . import budget
from .errors import InvalidRequestError
from .graph import Graph
from .schedule import Schedule
from .tape import Tape, forward

DTYPES = {"float64": np.float64, "float32": np.float32}
#: entries checked one by one per parameter: those with the largest |gradient|
ENTRIES = 3
#: the h of the sweep: 10^-1 … 10^-12 in half decades (23 values)
SWEEP_H = [10.0 ** (-e / 2) for e in range(2, 25)]
#: relative error under which a check is called good, per dtype
TOLERANCE = {"float64": 1e-6, "float32": 1e-2}


@dataclass
class Check:
    autodiff: float
    numerical: float
    rel_error: float


@dataclass
class EntryCheck(Check):
    index: list[int]


@dataclass
class ParamCheck:
    leaf: str
    #: along a random unit direction v: ⟨∂L/∂p, v⟩ against the central difference
    direction: Check
    entries: list[EntryCheck]


@dataclass
class Sweep:
    leaf: str
    h: list[float]
    rel_error: list[float]
    best_h: float
    best_rel_error: float


@dataclass
class GradCheck:
    dtype: str
    #: the h of the direction and entry checks: ε^(1/3) of the dtype
    h: float
    tolerance: float
    params: list[ParamCheck]
    sweep: Sweep | None


def rel_error(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


class _Loss:
    """L(leaves) by the graph's forward ops, in one dtype."""

    def __init__(self, graph: Graph, schedule: Schedule, leaves: dict, dtype):
        self.graph = graph
        self.ops = [e.node for e in schedule.events if e.phase == "forward"]
        self.dtype = dtype
        self.leaves = {n: np.asarray(v, dtype=dtype) for n, v in leaves.items()}

    def __call__(self, leaf: str, value: np.ndarray) -> float:
        budget.check_time("the gradient check")
        values = {**self.leaves, leaf: np.asarray(value, dtype=self.dtype)}
        for nid in self.ops:
            values[nid] = forward(self.graph, values, nid)
        return float(values[self.graph.loss])

    def central(self, leaf: str, step: np.ndarray, h: float) -> float:
        """(L(p + h·step) − L(p − h·step)) / 2h, with p + h·step rounded to the dtype."""
        p = self.leaves[leaf]
        ahead = (p + self.dtype(h) * step.astype(self.dtype)).astype(self.dtype)
        behind = (p - self.dtype(h) * step.astype(self.dtype)).astype(self.dtype)
        return (self(leaf, ahead) - self(leaf, behind)) / (2 * h)


def passes(graph: Graph) -> int:
    """Forward passes of a check: per parameter, two along a direction and two per entry
    checked; the sweep of h on the first parameter, two per h."""
    params = graph.parameters
    return sum(2 + 2 * min(ENTRIES, prod(p.shape)) for p in params) + \
        (2 * len(SWEEP_H) if params else 0)


def cost(schedule: Schedule) -> tuple[int, int]:
    """(element operations of the whole check, of one forward pass)."""
    graph = schedule.graph
    each = budget.events_cost(graph, schedule.of("forward"))
    return budget.events_cost(graph, schedule.events) + passes(graph) * each, each


def schedule_of(graph: Graph) -> Schedule:
    """The check's reverse sweep: every parameter's gradient, no update."""
    schedule = Schedule(graph, [p.id for p in graph.parameters])
    schedule.events = [e for e in schedule.events if e.phase != "update"]
    return schedule


def charge(graph: Graph, limits) -> int:
    """The check's cost, refused over the compute budget (LimitError) before any pass."""
    total, each = cost(schedule_of(graph))
    return budget.charge(total, limits,
                         f"the gradient check ({passes(graph)} forward passes of {each:.3g} "
                         f"element operations: 2 + 2 per checked entry for each of "
                         f"{len(graph.parameters)} parameters, {2 * len(SWEEP_H)} for the "
                         f"sweep of h)", "ask for fewer parameters or smaller tensors")


def check(graph: Graph, leaves: dict[str, np.ndarray], seed: int,
          dtype: str = "float64") -> GradCheck:
    """Every parameter's gradient at `leaves` against central differences."""
    if dtype not in DTYPES:
        raise InvalidRequestError(f"must be one of {', '.join(DTYPES)}", "dtype")
    params = [p.id for p in graph.parameters]
    schedule = schedule_of(graph)
    with np.errstate(all="ignore"):
        grads = Tape(schedule, leaves, 0.0, summaries=False).grads
        loss = _Loss(graph, schedule, leaves, DTYPES[dtype])
        h = float(np.finfo(DTYPES[dtype]).eps ** (1 / 3))
        rs = np.random.RandomState(seed)
        checks, directions = [], {}
        for leaf in params:
            grad = np.asarray(grads.get(leaf, np.zeros(graph.nodes[leaf].shape)))
            v = rs.randn(*grad.shape) if grad.ndim else np.float64(1.0)
            v = v / np.linalg.norm(np.ravel(v))
            directions[leaf] = (grad, v)
            autodiff = float(np.sum(grad * v))
            numerical = loss.central(leaf, np.asarray(v), h)
            entries = []
            flat = np.abs(np.ravel(grad))
            for i in np.argsort(-flat, kind="stable")[:ENTRIES]:
                index = np.unravel_index(int(i), grad.shape)
                unit = np.zeros(grad.shape)
                unit[index] = 1.0
                a, n = float(grad[index]), loss.central(leaf, unit, h)
                entries.append(EntryCheck(a, n, rel_error(a, n),
                                          [int(j) for j in index]))
            checks.append(ParamCheck(leaf, Check(autodiff, numerical,
                                                 rel_error(autodiff, numerical)), entries))
        sweep = None
        if params:
            leaf = params[0]
            grad, v = directions[leaf]
            autodiff = float(np.sum(grad * v))
            errors = [rel_error(autodiff, loss.central(leaf, np.asarray(v), step))
                      for step in SWEEP_H]
            finite = [e if np.isfinite(e) else np.inf for e in errors]
            best = int(np.argmin(finite))
            sweep = Sweep(leaf, SWEEP_H, errors, SWEEP_H[best], errors[best])
    return GradCheck(dtype, h, TOLERANCE[dtype], checks, sweep)
