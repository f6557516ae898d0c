"""SGD iterations without snapshots: leaf initialisation, the loss history, checkpoints.

Training runs the graph's forward and the parameters' backward as a plain loop (no trace, no
summaries, no gradient that no parameter needs), so it costs little more than the hand-written
numpy loop. It keeps the parameters every `every` iterations, so the parameters of any
iteration t are one checkpoint plus fewer than `every` iterations away.
"""

from __future__ import annotations

import time

import numpy as np

from .errors import LimitError
from .graph import Graph
from .limits import Limits
from .ops import apply_vjp, get_op

#: checkpoints kept per run at most, and the bytes they may hold together: memory stays
#: bounded, and reaching any iteration replays fewer than iterations / checkpoints of them
MAX_CHECKPOINTS = 64
CHECKPOINT_BYTES = 16 << 20


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
        elif dist == "bernoulli":
            value = (rs.rand(*node.shape) < 0.5).astype(np.float64)
        else:
            raise AssertionError(f"unknown leaf distribution {dist!r}")
        leaves[nid] = value
    return leaves


def forward(graph: Graph, values: dict[str, np.ndarray], nid: str) -> np.ndarray:
    """The value of op node `nid` from its inputs' values."""
    node = graph.nodes[nid]
    return get_op(node.op).forward(*(values[i] for i in node.inputs), **node.attrs)


class _Plan:
    """The graph compiled for training: forward ops, and the backward edges params need."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.params = [p.id for p in graph.params]
        trained: set[str] = set(self.params)
        for nid in graph.order:
            if any(i in trained for i in graph.nodes[nid].inputs):
                trained.add(nid)
        self.forward = [(n.id, get_op(n.op).forward, n.inputs, n.attrs) for n in graph.ops]
        self.backward = []
        for node in reversed(graph.ops):
            if node.id not in trained:
                continue
            edges = [e for e in graph.edges_in[node.id] if e.source in trained]
            self.backward.append((node.id, get_op(node.op), node.inputs, node.attrs, edges))

    def step(self, values: dict[str, np.ndarray], lr: float) -> float:
        """One iteration in place on `values` (whose parameter arrays it owns and updates in
        place): forward, backward to the params, SGD."""
        for nid, fn, inputs, attrs in self.forward:
            values[nid] = fn(*(values[i] for i in inputs), **attrs)
        loss = float(values[self.graph.loss])
        grads: dict[str, np.ndarray] = {self.graph.loss: np.float64(1.0)}
        for nid, op, inputs, attrs, edges in self.backward:
            g = grads[nid]
            args = [values[i] for i in inputs]
            for e in edges:
                c = apply_vjp(op, g, values[nid], args, attrs, e.index)
                grads[e.source] = grads[e.source] + c if e.source in grads else c
        for p in self.params:
            if p in grads:
                values[p] -= lr * grads[p]  # in place, as the seed script: values owns them
        return loss


class Training:
    """The losses of every iteration and the parameters at any iteration."""

    def __init__(self, graph: Graph, leaves: dict[str, np.ndarray], lr: float, iterations: int,
                 limits: Limits):
        self.graph = graph
        self.lr = lr
        self.iterations = iterations
        self.plan = _Plan(graph)
        param_bytes = sum(leaves[p].nbytes for p in self.plan.params) or 1
        kept = max(1, min(MAX_CHECKPOINTS, CHECKPOINT_BYTES // param_bytes))
        self.every = max(1, -(-iterations // kept))
        self.leaves = leaves
        self.limits = limits
        self.checkpoints: dict[int, dict[str, np.ndarray]] = {}
        self.losses = self._train()

    def _train(self) -> list[float]:
        deadline = time.monotonic() + self.limits.max_compute_seconds
        values = self._owned(self.leaves)
        losses = []
        with np.errstate(all="ignore"):  # NaN and Inf are reported in the losses, not warned
            self._loop(values, losses, deadline)
        return losses

    def _loop(self, values: dict, losses: list, deadline: float) -> None:
        for t in range(self.iterations):
            if t % self.every == 0:
                self.checkpoints[t] = {p: values[p].copy() for p in self.plan.params}
            losses.append(self.plan.step(values, self.lr))
            if time.monotonic() > deadline:
                raise LimitError("max_compute_seconds", self.limits.max_compute_seconds,
                                 what=f"(training stopped at iteration {t + 1} of "
                                      f"{self.iterations}; ask for fewer iterations)")

    def _owned(self, leaves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Leaf values whose parameters are fresh copies, safe to update in place."""
        return {n: v.copy() if n in self.plan.params else v for n, v in leaves.items()}

    def leaves_at(self, t: int) -> dict[str, np.ndarray]:
        """Every leaf's value at iteration t (the parameters after t updates)."""
        start = t - t % self.every
        values = self._owned({**self.leaves, **self.checkpoints[start]})
        with np.errstate(all="ignore"):
            for _ in range(start, t):
                self.plan.step(values, self.lr)
        return {nid: values[nid] for nid in self.leaves}
