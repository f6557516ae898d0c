"""SGD iterations without snapshots: leaf initialisation, the loss history, checkpoints.

Training runs the run's schedule (schedule.py) as a plain loop, its sends pruned to what the
parameters need (no trace, no summaries, no gradient that no parameter needs), so it costs
little more than the hand-written numpy loop. It keeps the parameters every `every` iterations,
so the parameters of any iteration t are one checkpoint plus fewer than `every` iterations
away.
"""

from __future__ import annotations

import operator
import time

import numpy as np

from app.engine.core.errors import BusyError
from app.engine.core.graph import Graph
from app.engine.core.limits import Limits
from app.engine.core.schedule import Backward, EventReader, Forward, Schedule
from app.engine.core.shapes import reduce_to

#: checkpoints kept per run at most, and the bytes they may hold together: memory stays
#: bounded, and reaching any iteration replays fewer than iterations / checkpoints of them
MAX_CHECKPOINTS = 64
CHECKPOINT_BYTES = 16 << 20
#: training straight through keeps one of every SPARSE of those checkpoints: each is the
#: parameters copied into fresh memory, whose page faults made 20 copies of the seed network's
#: 0.8 MB cost 3% of its 500 iterations (bench/engine.py). A replay keeps the ones it passes, so
#: the first visit of an iteration replays fewer than SPARSE × every iterations, a later one
#: fewer than every
SPARSE = 4
_FLOAT = np.dtype(np.float64)


def init_leaves(graph: Graph, seed: int) -> dict[str, np.ndarray]:
    """Leaf values drawn from RandomState(seed) in declaration order (inputs and params alike)."""
    rs = np.random.RandomState(seed)
    leaves: dict[str, np.ndarray] = {}
    for nid in graph.order:
        node = graph.nodes[nid]
        if node.kind == "op":
            continue
        dist = node.init["dist"]
        if dist == "value":
            value = np.array(node.init["value"], dtype=np.float64)
        elif dist == "normal":
            value = np.asarray(rs.randn(*node.shape), dtype=np.float64)
            if "scale" in node.init:
                value = value * node.init["scale"]
        elif dist == "onehot":
            rows, classes = node.shape
            value = np.zeros(node.shape)
            value[np.arange(rows), rs.randint(classes, size=rows)] = 1.0
        elif dist == "zeros":
            value = np.zeros(node.shape)
        elif dist == "ones":
            value = np.ones(node.shape)
        elif dist == "uniform":
            value = np.asarray(rs.uniform(node.init["low"], node.init["high"], size=node.shape),
                               dtype=np.float64)
        elif dist == "labels":
            value = rs.randint(node.init["classes"], size=node.shape).astype(np.float64)
        elif dist == "dropout":  # a dropout's mask: kept with probability 1 - p, scaled
            value = np.asarray(rs.rand(*node.shape) >= node.init["p"], dtype=np.float64) \
                / (1 - node.init["p"])
        elif dist == "bernoulli":
            value = (rs.rand(*node.shape) < 0.5).astype(np.float64)
        else:
            raise AssertionError(f"unknown leaf distribution {dist!r}")
        leaves[nid] = value
    return leaves


def bound(rule, inputs: int, attrs: dict):
    """`rule` with a node's attributes fixed, as a function of one tuple of its arguments: a
    table rule's walked closure itself (its cache looked up once per plan, not per call)."""
    walked = getattr(rule, "walked", None)
    return walked(inputs, attrs) if walked else (lambda args: rule(*args, **attrs))


def _getter(names: tuple[str, ...]):
    """values -> the tuple of the values of `names` (itemgetter's, a tuple even for one)."""
    get = operator.itemgetter(*names) if names else (lambda values: ())
    return get if len(names) > 1 else (lambda values: (get(values),)) if names else get


class _Plan(EventReader):
    """The schedule compiled for training: its forward events, the backward sends the
    parameters need, its updates."""

    def __init__(self, schedule: Schedule):
        self.graph = schedule.graph
        self.loss = self.graph.loss
        self.params = schedule.parameters
        self.forward = []
        self.backward = []
        self.read(schedule.pruned(self.params))

    def on_forward(self, event: Forward, k: int) -> None:
        node = self.graph.nodes[event.node]
        forward = bound(self.graph.op(node.id).forward, len(node.inputs), node.attrs)
        self.forward.append((node.id, forward, _getter(node.inputs)))

    def on_backward(self, event: Backward, k: int) -> None:
        node = self.graph.nodes[event.node]
        vjp = self.graph.op(node.id).vjp
        self.backward.append((node.id, _getter(node.inputs), [
            (s.edge.source, tuple(self.graph.nodes[s.edge.source].shape), s.accumulate,
             bound(vjp[s.edge.index], len(node.inputs), node.attrs)) for s in event.sends]))

    def step(self, values: dict[str, np.ndarray], lr: float) -> float:
        """One iteration in place on `values` (whose parameter arrays it owns and updates in
        place): forward, backward to the params, SGD."""
        for nid, forward, inputs in self.forward:
            values[nid] = forward(inputs(values))
        loss = float(values[self.loss])
        grads: dict[str, np.ndarray] = {self.loss: np.float64(1.0)}
        for nid, inputs, sends in self.backward:
            args = (grads[nid], values[nid], *inputs(values))
            for source, shape, accumulate, vjp in sends:
                c = vjp(args)
                # apply_vjp's: the contribution reduced to its input's (static) shape, a float64
                # array; one already so is kept as it is, as reduce_to would keep it
                if c.__class__ is not np.ndarray or c.shape != shape or c.dtype is not _FLOAT:
                    c = reduce_to(c, shape)
                grads[source] = grads[source] + c if accumulate else c
        for p in self.params:
            if p in grads:
                values[p] -= lr * grads[p]  # in place, as the seed script: values owns them
        return loss


class Training:
    """The losses of every iteration and the parameters at any iteration, trained lazily: a
    request for iteration t trains up to t (and keeps checkpoints on the way), so a cold worker
    asked for an early iteration of a long run does not train the whole run.

    The cost of training is bounded before any work by the run's compute budget (budget.py);
    the wall-clock watchdog (`max_compute_seconds` per call) is only a safety net: it raises
    BusyError, and the progress made so far is kept, so asking again continues from there.
    """

    def __init__(self, schedule: Schedule, leaves: dict[str, np.ndarray], lr: float,
                 iterations: int, limits: Limits):
        self.graph = schedule.graph
        self.lr = lr
        self.iterations = iterations
        self.plan = _Plan(schedule)
        param_bytes = sum(leaves[p].nbytes for p in self.plan.params) or 1
        kept = max(1, min(MAX_CHECKPOINTS, CHECKPOINT_BYTES // param_bytes))
        self.every = max(1, -(-iterations // kept))
        self.leaves = leaves
        self.limits = limits
        self.checkpoints: dict[int, dict[str, np.ndarray]] = {}
        #: the losses of the iterations trained so far, and the leaves after them
        self._losses: list[float] = []
        self._values = self._owned(leaves)
        #: iterations replayed from checkpoints (not counted in `trained`): for the tests
        self.replayed = 0

    @property
    def trained(self) -> int:
        """Iterations trained so far (each exactly once)."""
        return len(self._losses)

    @property
    def losses(self) -> list[float]:
        """The loss of every iteration (trains the rest of the run if needed)."""
        self._advance(self.iterations)
        return self._losses

    def losses_until(self, t: int) -> list[float]:
        """The losses of iterations 0 to t - 1 (trains only that far)."""
        self._advance(t)
        return self._losses[:t]

    @property
    def nbytes(self) -> int:
        """The bytes of the checkpoints and of the current parameters kept."""
        kept = sum(a.nbytes for kept in self.checkpoints.values() for a in kept.values())
        return kept + sum(self._values[p].nbytes for p in self.plan.params)

    def _advance(self, t: int) -> None:
        """Train until `t` iterations are done (never more than the run's)."""
        t = min(t, self.iterations)
        if self.trained >= t:
            return
        deadline = time.monotonic() + self.limits.max_compute_seconds
        values = self._values
        with np.errstate(all="ignore"):  # NaN and Inf are reported in the losses, not warned
            while self.trained < t:
                done = self.trained
                if done % (self.every * SPARSE) == 0:
                    self._keep(done, values)
                self._losses.append(self.plan.step(values, self.lr))
                if time.monotonic() > deadline and self.trained < t:
                    raise BusyError(
                        f"the server is busy: training stopped after {self.limits.max_compute_seconds:g}"
                        f" s at iteration {self.trained} of {t} (the progress is kept: ask again)",
                        retry_after=2)

    def _owned(self, leaves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Leaf values whose parameters are fresh copies, safe to update in place."""
        return {n: v.copy() if n in self.plan.params else v for n, v in leaves.items()}

    def leaves_at(self, t: int) -> dict[str, np.ndarray]:
        """Every leaf's value at iteration t (the parameters after t updates)."""
        if t >= self.trained:
            self._advance(t)
            return {nid: self._values[nid].copy() if nid in self.plan.params else
                    self._values[nid] for nid in self.leaves}
        start = max(done for done in self.checkpoints if done <= t)
        values = self._owned({**self.leaves, **self.checkpoints[start]})
        with np.errstate(all="ignore"):
            for done in range(start, t):
                if done % self.every == 0:  # the checkpoints straight training left out
                    self._keep(done, values)
                self.plan.step(values, self.lr)
                self.replayed += 1
        return {nid: values[nid] for nid in self.leaves}

    def _keep(self, done: int, values: dict[str, np.ndarray]) -> None:
        """A checkpoint of the parameters before iteration `done` (once)."""
        if done not in self.checkpoints:
            self.checkpoints[done] = {p: values[p].copy() for p in self.plan.params}
