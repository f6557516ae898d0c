"""Symbolic differentiation: every op has a forward formula, SymPy's derivative of the loss
written out equals the tape's entry, the bounds refuse before any work, and the swell is
measured (the two facts the Symbolic panel teaches)."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import LimitError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.core.schedule import Schedule
from app.engine.instruments import swell, symbolic
from app.engine.instruments.gradcheck import _Loss
from app.engine.ops.registry import REGISTRY

#: every preset at sizes within the bounds (deep-mlp has none: its width is 64)
SMALL = {
    "pytorch-numpy-two-layer": {"N": 2, "D_in": 3, "H": 3, "D_out": 2},
    "d2l-mlp-l2": {"N": 2, "d": 3, "m": 3, "q": 3},
    "colah-sum-of-paths": {},
    "micrograd-neuron": {},
    "logistic-regression": {"N": 4, "D": 3},
    "softmax-classifier": {"N": 3, "D": 2, "C": 3},
    "max-pool-hinge": {"N": 3, "D": 2},
    "batch-standardise": {"N": 2, "D": 2, "H": 2, "C": 2},
    "embedding-lookup": {},
    "deep-tanh": {},
}


#: typed graphs that use every op of the registry between them, each within the bounds
TYPED = {
    "structure": """x = input(2, 3)
E = uniform(4, 3, low=-0.5, high=0.5)
B = param(2, 2, 3, scale=0.5)
v = param(3)
c = labels(2, 3)
rows = stack([E[1], E[3]])
joined = concatenate([x, rows], axis=0)
k = reshape(joined, (3, 4)).T
t = sum(B @ v, axis=(0, 1)) + mean(transpose(x), axis=None) + dot(v, v)
loss = cross_entropy(k[0:2, :], c) + t + sum(logsumexp(k, axis=0)) + prod(k[0, 0:2], axis=0)
""",
    "branches": """x = input(2, 3)
W = param(3, 2, scale=0.5)
b = zeros(2)
h = x @ W + b
k = leaky_relu(h, slope=0.1) + elu(h, alpha=0.5) + gelu(h) + relu(h) + clip(h, min=-0.5, max=2) ** 2
q = softplus(h) + log1p(abs(h)) + expm1(h * 0.1) + log_sigmoid(h) + sigmoid(h) - tanh(h)
loss = sum(k) + mean(q) + sum(softsign(h))
""",
    "norms": """x = input(3, 2)
g = param(2)
b = param(2)
y = input(2, 2, 2)
w = param(2)
ids = labels(2, 2, 3)
E = param(3, 2)
e = embedding(ids, E)
n = sum(batch_norm(y, eps=0.1) * y) + sum(e * e * dropout(y, p=0.5))
loss = sum(batch_norm(x, g, b) * x) + sum(layer_norm(y, (2,), w) ** 2) + n
""",
    "conv": """x = input(1, 1, 3, 3)
W = param(2, 1, 2, 2, scale=0.5)
b = param(2)
V = param(1, 2, 1, 2, scale=0.5)
h = conv2d(x, W, b, padding=1, stride=(1, 2))
m = max_pool2d(h, 2, stride=1) + avg_pool2d(h, (3, 2), stride=1, padding=1)[:, :, 0:3, :]
loss = sum(flatten(m, 1) ** 2) + sum(conv2d(h, V, dilation=(2, 1)))
""",
    "reductions": """x = input(2, 3)
s0 = param(2, 3, scale=0.5)
s = maximum(x, s0) + minimum(x, 0.2) + 2 ** s0 + pow(abs(x) + 1, s0)
u = var(s, axis=0) + std(s, axis=1, keepdims=True).T @ x[:, 0:1] + norm(s0, axis=1) @ x[:, 0]
w = max(s, axis=(0, 1)) - min(s, axis=1)[0]
z = sum(sin(s) * cos(s) + exp(-s) / sqrt(s ** 2 + 1)) + sum(square(s0))
z2 = sum(softmax(s, axis=1) + log_softmax(s, axis=0)) + mean(log(abs(x) + 1))
loss = sum(u) + w + z + z2
""",
}


def _elements(run: Run):
    """The first and last element of every input and parameter."""
    for leaf in symbolic.differentiable(run.graph):
        shape = run.graph.nodes[leaf].shape
        for index in {(0,) * len(shape), tuple(n - 1 for n in shape)}:
            yield leaf, index


def test_every_registry_op_has_a_forward_formula():
    assert set(REGISTRY) == set(symbolic.FORWARD)


def test_an_op_without_a_formula_is_refused_by_name(monkeypatch):
    monkeypatch.delitem(symbolic.FORWARD, "tanh")
    run = Run(RunSpec(preset="micrograd-neuron"), Limits())
    with pytest.raises(symbolic.MissingFormulaError, match="'tanh' has no symbolic formula"):
        swell.derivative(run.graph, run.leaves, "w1", (), Limits())


@pytest.mark.parametrize("preset", sorted(SMALL))
def test_the_symbolic_derivative_is_the_tapes_entry_on_every_preset(preset):
    run = Run(RunSpec(preset=preset, params=SMALL[preset], iterations=3), Limits())
    for t in (0, 2):
        leaves = run.leaves_at(t)
        for leaf, index in _elements(run):
            found = swell.derivative(run.graph, leaves, leaf, index, Limits())
            np.testing.assert_allclose(found.value, found.autodiff, rtol=1e-9, atol=1e-14,
                                       err_msg=f"{preset} ∂loss/∂{leaf}{list(index)} at t={t}")


@pytest.mark.parametrize("name", sorted(TYPED))
def test_typed_graphs_of_every_op_have_the_tapes_entries(name):
    run = Run(RunSpec(source=TYPED[name], seed=2), Limits())
    for leaf, index in _elements(run):
        found = swell.derivative(run.graph, run.leaves, leaf, index, Limits())
        np.testing.assert_allclose(found.value, found.autodiff, rtol=1e-9, atol=1e-14,
                                   err_msg=f"{name}: ∂loss/∂{leaf}{list(index)}")


def test_the_typed_graphs_use_every_op():
    used = {n.op for source in TYPED.values()
            for n in Run(RunSpec(source=source), Limits()).graph.ops}
    assert used == set(REGISTRY)


def test_an_element_the_loss_never_reads_has_derivative_zero():
    run = Run(RunSpec(source=TYPED["structure"], seed=2), Limits())
    unused = swell.derivative(run.graph, run.leaves, "E", (2, 1), Limits())  # E[2] unused
    assert unused.value == unused.autodiff == 0.0
    assert unused.latex == "0" and unused.sizes.expression == 1


def test_a_wrong_hand_written_backward_is_caught_by_the_formula():
    """custom-backward trains with a deliberately wrong backward: SymPy differentiates the
    definition itself, so it agrees with central differences and not with the tape."""
    run = Run(RunSpec(preset="custom-backward", params={"N": 3, "D": 2, "H": 2}), Limits())
    graph = run.graph
    schedule = Schedule(graph, [p.id for p in graph.parameters])
    loss = _Loss(graph, schedule, run.leaves, np.float64)
    for leaf, index in [("v", (1, 0)), ("w", (0, 1))]:
        found = swell.derivative(graph, run.leaves, leaf, index, Limits())
        unit = np.zeros(graph.nodes[leaf].shape)
        unit[index] = 1.0
        numerical, _ = loss.central(leaf, unit, 1e-6)  # (difference, its round-off)
        np.testing.assert_allclose(found.value, numerical, rtol=1e-6)
        assert found.rel_error > 1e-3, "the tape runs the wrong backward"


def test_the_bounds_refuse_before_any_expression_is_written(monkeypatch):
    def written(*_):
        raise AssertionError("SymPy was asked before the bound")

    monkeypatch.setattr(swell, "_written", written)
    deep = Run(RunSpec(preset="deep-mlp", params={"depth": 1, "N": 1}), Limits())
    with pytest.raises(LimitError) as refused:
        swell.derivative(deep.graph, deep.leaves, "w1", (0, 0), Limits())
    assert refused.value.limit == "max_symbolic_leaves"
    assert refused.value.actual == 16 + 1 + 16 * 64 + 64
    assert "reduce the batch or the widths" in refused.value.message
    tanh = Run(RunSpec(preset="deep-tanh", params={"depth": 10}), Limits())
    with pytest.raises(LimitError) as refused:
        swell.derivative(tanh.graph, tanh.leaves, "w1", (0, 0), Limits())
    assert refused.value.limit == "max_symbolic_nodes"
    assert "reduce the depth" in refused.value.message
    with pytest.raises(LimitError) as refused:
        swell.derivative(tanh.graph, tanh.leaves, "w1", (0, 0), Limits(max_symbolic_work=50))
    assert refused.value.limit == "max_symbolic_work"


def test_the_tally_estimates_the_loss_written_out():
    for depth in (1, 4, 7):
        run = Run(RunSpec(preset="deep-tanh", params={"depth": depth}), Limits())
        found = swell.derivative(run.graph, run.leaves, "w1", (0, 0), Limits())
        assert abs(found.sizes.estimate - found.sizes.loss) <= 0.1 * found.sizes.loss + 10


def test_a_long_derivative_is_shortened_and_says_so():
    run = Run(RunSpec(preset="deep-tanh", params={"depth": 4}), Limits())
    found = swell.derivative(run.graph, run.leaves, "w1", (0, 0), Limits())
    assert found.sizes.expression > swell.LATEX_NODES
    assert found.latex_shortened and found.nodes_shown == swell.LATEX_NODES
    assert "\\cdots" in found.latex and "\\mathit{w1}_{0,0}" in found.latex
    small = Run(RunSpec(preset="micrograd-neuron"), Limits())
    whole = swell.derivative(small.graph, small.leaves, "w1", (), Limits())
    assert not whole.latex_shortened and whole.nodes_shown == whole.sizes.expression
    assert whole.latex == ("\\mathit{x1} \\left(1 - \\tanh^{2}{\\left(\\mathit{b} + "
                           "\\mathit{w1} \\mathit{x1} + \\mathit{w2} \\mathit{x2} \\right)}\\right)")


def test_expression_swell_against_the_tape_on_deep_tanh():
    """Depth 1 … 8 (width 2, batch 1): the derivative's expression grows at least 10× faster
    than the tape's operations; after CSE it stays within a small factor of them."""
    points = swell.sweep("deep-tanh", "depth", list(range(1, 9)), {}, Limits())
    assert [p.over for p in points] == [None] * 8
    first, last = points[0], points[-1]
    expression_growth = last.expression / first.expression
    tape_growth = last.tape_ops / first.tape_ops
    assert expression_growth >= 10 * tape_growth
    assert all(p.with_cse <= 10 * p.tape_ops for p in points)
    assert [p.expression for p in points] == sorted(p.expression for p in points)


def test_a_sweep_past_the_bounds_keeps_the_tapes_sizes():
    points = swell.sweep("deep-mlp", "N", [1, 32], {"depth": 2}, Limits())
    assert [p.over for p in points] == ["max_symbolic_leaves", "max_symbolic_work"]
    assert all(p.expression is None and p.tape_ops == 18 for p in points)
    # within the bound on scalar operations the tally still says how big the loss would be
    assert points[0].estimate > 80 * Limits().max_symbolic_nodes and points[1].estimate is None


def test_a_sweep_differentiates_within_twice_the_bound_in_all():
    """Depth 8 alone is within the bound; after depths 6 and 7 the sweep has spent its share."""
    points = swell.sweep("deep-tanh", "depth", [6, 7, 8, 8], {}, Limits())
    assert [p.over for p in points] == [None, None, None, "max_symbolic_nodes"]
    assert sum(p.estimate for p in points[:3]) <= 2 * Limits().max_symbolic_nodes
    assert points[3].estimate == points[2].estimate and points[3].expression is None
