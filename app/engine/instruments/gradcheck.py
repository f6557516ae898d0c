"""Autodiff against numerical differentiation (D2L 4.7): the gradient check of one iteration.

Automatic differentiation is exact up to round-off; a central difference
(L(p + h·v) − L(p − h·v)) / 2h is not: its truncation error falls as h², its round-off error
grows as ε/h, so its error against autodiff draws a V over h with the best h near ε^(1/3). In
float32 (ε ≈ 1.2e-7) round-off wins much sooner than in float64 (ε ≈ 2.2e-16). The autodiff
gradient is the reverse sweep's (float64); the loss of the differences is evaluated by the same
forward ops in the dtype asked for.

Honest about what it shows: the sweep runs along the first parameter whose float64 error falls
as h² at large h (a quick probe of each), so the V has both arms where the graph has one; where
none does — the loss is quadratic or piecewise quadratic along every parameter (ReLU pieces, a
squared error) and central differences have no truncation error — it says so (`truncation`).
The table's h is one of the sweep's points. Each check carries the estimated round-off of its
difference, ε·(|L(p + h·v)| + |L(p − h·v)|)/2h, and a verdict that says which side a mismatch
within it comes from: the finite difference, not autodiff.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from app.engine.core.errors import InvalidRequestError
from app.engine.core.graph import Graph
from app.engine.core.schedule import Forward, Schedule
from app.engine.core.tape import Tape, forward
from app.engine.instruments import budget

DTYPES = {"float64": np.float64, "float32": np.float32}
#: entries checked one by one per parameter: those with the largest |gradient|
ENTRIES = 3
#: the h of the sweep: 10^-1 … 10^-12 in half decades (23 values)
SWEEP_H = [10.0 ** (-e / 2) for e in range(2, 25)]
#: relative error under which a check is called good, per dtype
TOLERANCE = {"float64": 1e-6, "float32": 1e-2}
#: the probe of the truncation arm: the sweep's largest h (10^-1 … 10^-4)
PROBE_H = SWEEP_H[:7]
#: a truncation arm: the error falls as h², ×10 per half decade of h; seen when two ratios of
#: neighbouring errors in a row are within this band (a kink crossed gives one jump, round-off
#: a rise, and a quadratic loss errors at round-off level that do not fall steadily)
ARM_RATIO = (5.0, 20.0)
#: a mismatch up to this many times the estimated round-off of the difference is the
#: difference's: a forward pass rounds in many places, the estimate counts the loss's only
ROUNDOFF_FACTOR = 10.0


@dataclass
class Check:
    autodiff: float
    numerical: float
    rel_error: float
    #: the estimated round-off of the central difference, ε·(|L(p + h·v)| + |L(p − h·v)|)/2h
    roundoff: float
    #: "good" (under the tolerance); "roundoff" (over it, but |autodiff − numerical| is within
    #: ROUNDOFF_FACTOR × roundoff: the finite difference is the inaccurate side); or "bad"
    verdict: str


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
    #: SWEEP_H with the table's h among them, largest first
    h: list[float]
    rel_error: list[float]
    best_h: float
    best_rel_error: float
    #: whether `leaf`'s float64 error falls as h² at large h (a truncation arm); false when no
    #: parameter's does: the loss is (piecewise) quadratic along every one
    truncation: bool


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


def judged(autodiff: float, numerical: float, roundoff: float, tolerance: float) -> dict:
    """A check's relative error and verdict (see Check)."""
    error = rel_error(autodiff, numerical)
    verdict = "good" if error < tolerance else \
        "roundoff" if abs(autodiff - numerical) <= ROUNDOFF_FACTOR * roundoff else "bad"
    return {"rel_error": error, "roundoff": roundoff, "verdict": verdict}


def has_arm(differences: list[float]) -> bool:
    """Whether central differences at h falling by half decades carry a truncation error
    ∝ h²: then neighbouring ones differ by ∝ h² too, ×10 per half decade (two ratios in a row
    in ARM_RATIO). Read from the differences alone, so a wrong autodiff cannot hide it."""
    lo, hi = ARM_RATIO
    changes = [abs(a - b) for a, b in zip(differences[:-1], differences[1:], strict=True)]
    inside = [b > 0 and lo <= a / b <= hi for a, b in zip(changes[:-1], changes[1:], strict=True)]
    return any(a and b for a, b in zip(inside[:-1], inside[1:], strict=True))


class _Loss:
    """L(leaves) by the graph's forward ops, in one dtype."""

    def __init__(self, graph: Graph, schedule: Schedule, leaves: dict, dtype):
        self.graph = graph
        self.ops = [e.node for e in schedule.of(Forward)]
        self.dtype = dtype
        self.leaves = {n: np.asarray(v, dtype=dtype) for n, v in leaves.items()}

    def __call__(self, leaf: str, value: np.ndarray) -> float:
        budget.check_time("the gradient check")
        values = {**self.leaves, leaf: np.asarray(value, dtype=self.dtype)}
        for nid in self.ops:
            values[nid] = forward(self.graph, values, nid)
        return float(values[self.graph.loss])

    def central(self, leaf: str, step: np.ndarray, h: float) -> tuple[float, float]:
        """(L(p + h·step) − L(p − h·step)) / 2h, with p + h·step rounded to the dtype, and its
        estimated round-off ε·(|L(p + h·step)| + |L(p − h·step)|) / 2h."""
        p = self.leaves[leaf]
        ahead = (p + self.dtype(h) * step.astype(self.dtype)).astype(self.dtype)
        behind = (p - self.dtype(h) * step.astype(self.dtype)).astype(self.dtype)
        up, down = self(leaf, ahead), self(leaf, behind)
        eps = float(np.finfo(self.dtype).eps)
        return (up - down) / (2 * h), eps * (abs(up) + abs(down)) / (2 * h)


def passes(graph: Graph) -> int:
    """Forward passes of a check, at most: per parameter, two along a direction, two per entry
    checked and two per h of the probe; the sweep of h on one parameter, two per h (and the
    table's h)."""
    params = graph.parameters
    return sum(2 + 2 * min(ENTRIES, prod(p.shape)) + 2 * len(PROBE_H) for p in params) + \
        (2 * (len(SWEEP_H) + 1) if params else 0)


def cost(schedule: Schedule) -> tuple[int, int]:
    """(element operations of the whole check, of one forward pass)."""
    graph = schedule.graph
    each = budget.events_cost(graph, schedule.of(Forward))
    return budget.events_cost(graph, schedule.events) + passes(graph) * each, each


def schedule_of(graph: Graph) -> Schedule:
    """The check's reverse sweep: every parameter's gradient, no update."""
    schedule = Schedule(graph, [p.id for p in graph.parameters])
    schedule.without_updates()
    return schedule


def charge(graph: Graph, limits) -> int:
    """The check's cost, refused over the compute budget (LimitError) before any pass."""
    total, each = cost(schedule_of(graph))
    return budget.charge(total, limits,
                         f"the gradient check ({passes(graph)} forward passes of {each:.3g} "
                         f"element operations: 2 + 2 per checked entry + {2 * len(PROBE_H)} "
                         f"for the probe of h for each of {len(graph.parameters)} parameters, "
                         f"{2 * (len(SWEEP_H) + 1)} for the sweep of h)",
                         "ask for fewer parameters or smaller tensors")


def check(graph: Graph, leaves: dict[str, np.ndarray], seed: int,
          dtype: str = "float64") -> GradCheck:
    """Every parameter's gradient at `leaves` against central differences."""
    if dtype not in DTYPES:
        raise InvalidRequestError(f"must be one of {', '.join(DTYPES)}", "dtype")
    params = [p.id for p in graph.parameters]
    schedule = schedule_of(graph)
    tolerance = TOLERANCE[dtype]
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
            autodiff = float(np.sum(grad * v))
            directions[leaf] = (autodiff, np.asarray(v))
            numerical, roundoff = loss.central(leaf, np.asarray(v), h)
            entries = []
            flat = np.abs(np.ravel(grad))
            for i in np.argsort(-flat, kind="stable")[:ENTRIES]:
                index = np.unravel_index(int(i), grad.shape)
                unit = np.zeros(grad.shape)
                unit[index] = 1.0
                a, (n, r) = float(grad[index]), loss.central(leaf, unit, h)
                entries.append(EntryCheck(a, n, **judged(a, n, r, tolerance),
                                          index=[int(j) for j in index]))
            checks.append(ParamCheck(leaf, Check(autodiff, numerical,
                                                 **judged(autodiff, numerical, roundoff,
                                                          tolerance)), entries))
        sweep = _sweep(graph, schedule, leaves, loss, directions, h) if params else None
    return GradCheck(dtype, h, tolerance, checks, sweep)


def _sweep(graph: Graph, schedule: Schedule, leaves: dict, loss: _Loss, directions: dict,
           h: float) -> Sweep:
    """The error over h along the first parameter whose float64 error has a truncation arm
    (else the first parameter), the table's h among the sweep's."""
    exact = loss if loss.dtype is np.float64 else _Loss(graph, schedule, leaves, np.float64)
    chosen, truncation = next(iter(directions)), False
    for leaf, (_, v) in directions.items():
        if has_arm([exact.central(leaf, v, step)[0] for step in PROBE_H]):
            chosen, truncation = leaf, True
            break
    autodiff, v = directions[chosen]
    steps = sorted({*SWEEP_H, h}, reverse=True)
    errors = [rel_error(autodiff, loss.central(chosen, v, step)[0]) for step in steps]
    finite = [e if np.isfinite(e) else np.inf for e in errors]
    best = int(np.argmin(finite))
    return Sweep(chosen, steps, errors, steps[best], errors[best], truncation)
