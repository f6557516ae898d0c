"""Every number as PyTorch at the edges: std of values with no spread, the norm of a zero
vector, a power at a zero base, and NaN routed through the gates as PyTorch routes it (a gate
that selects — relu, clip, maximum/minimum, max/min — sends 0 where it blocks, even a NaN;
abs and leaky_relu multiply, as PyTorch's do). `clip(x, lo, hi)` is numpy's positional form.
Each test was seen failing on the code before its fix."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse
from app.engine.ops.registry import REGISTRY, apply_jvp, apply_vjp

torch = pytest.importorskip("torch")
NAN = float("nan")


def grads(source: str, seed: int = 0) -> tuple[Run, dict]:
    run = Run(RunSpec(source=source, seed=seed, iterations=1), Limits())
    trace = run.trace(0)
    last = len(trace.step_list) - 1
    return run, {p.id: trace.tensor(last, p.id, "grad") for p in run.graph.parameters}


def tangent(source: str, leaf: str, index: list[int]) -> float:
    run = Run(RunSpec(source=source, iterations=1, mode="forward",
                      direction={"leaf": leaf, "index": index}), Limits())
    trace = run.trace(0)
    return float(trace.tensor(len(trace.step_list) - 1, run.graph.loss, "tangent"))


@pytest.mark.parametrize("source", ["w = zeros(3)\nloss = std(w + 1)\n",
                                    "w = zeros(2, 3)\nloss = sum(std(w, axis=1))\n",
                                    "w = zeros(3)\nloss = norm(w)\n",
                                    "w = zeros(2, 3)\nloss = sum(norm(w, axis=0))\n"])
def test_no_spread_and_a_zero_vector_have_gradient_and_tangent_0(source):
    """PyTorch masks where the std or the norm is 0; Gradwalk gave NaN."""
    _, found = grads(source)
    np.testing.assert_array_equal(found["w"], np.zeros_like(found["w"]))
    assert tangent(source, "w", [0] * found["w"].ndim) == 0.0


def test_a_zero_base_sends_0_to_the_exponent_and_b_0_sends_0_to_the_base():
    source = "w = param(value=-1.0)\nloss = relu(w) ** (1 + sigmoid(w))\n"
    _, found = grads(source)
    assert float(found["w"]) == 0.0  # PyTorch: 0·log 0 is 0 here, not NaN
    assert tangent(source, "w", []) == 0.0
    base = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    exponent = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (base ** exponent).sum().backward()
    power = REGISTRY["power"]
    a, b = np.zeros(2), np.array([0.0, 2.0])
    out = power.forward(a, b)
    for index, expected in ((0, base.grad), (1, exponent.grad)):
        got = apply_vjp(power, np.ones(2), out, [a, b], {}, index)
        np.testing.assert_array_equal(got, expected.numpy())


def test_a_nan_upstream_is_blocked_by_relu_as_in_pytorch():
    """The issue's program, seed 7: PyTorch's ∂loss/∂w is [nan, 1, nan]; Gradwalk's was all
    NaN (relu multiplied the NaN by its 0)."""
    source = "w = param(3)\nz = log(relu(w) * 0)\nloss = logsumexp(z) + sum(w)\n"
    run, found = grads(source, seed=7)
    w = torch.tensor(run.leaves["w"], requires_grad=True)
    with np.errstate(all="ignore"):
        (torch.logsumexp(torch.log(torch.relu(w) * 0), 0) + w.sum()).backward()
    np.testing.assert_array_equal(found["w"], w.grad.numpy())


X = np.array([-1.0, 0.0, 0.5, 2.0])
OTHER = np.array([0.0, 0.0, 1.0, 1.0])
GATES = [  # (op, attrs, torch function, inputs)
    ("relu", {}, torch.relu, [X]),
    ("abs", {}, torch.abs, [X]),
    ("leaky_relu", {"slope": 0.0}, lambda a: torch.nn.functional.leaky_relu(a, 0.0), [X]),
    ("clip", {"min": -0.5, "max": 1.0}, lambda a: torch.clamp(a, -0.5, 1.0), [X]),
    ("maximum", {}, torch.maximum, [X, OTHER]),
    ("minimum", {}, torch.minimum, [X, OTHER]),
    ("max", {"axis": None, "keepdims": False}, torch.max, [X]),
    ("min", {"axis": None, "keepdims": False}, torch.min, [X]),
    ("max", {"axis": 1, "keepdims": False}, lambda a: torch.max(a, dim=1).values,
     [X.reshape(2, 2)]),
    ("min", {"axis": 0, "keepdims": True}, lambda a: torch.min(a, dim=0, keepdim=True).values,
     [X.reshape(2, 2)]),
]


@pytest.mark.parametrize("name,attrs,reference,inputs", GATES,
                         ids=[f"{g[0]}-{i}" for i, g in enumerate(GATES)])
def test_a_nan_upstream_crosses_each_gate_as_in_pytorch(name, attrs, reference, inputs):
    op = REGISTRY[name]
    out = op.forward(*inputs, **attrs)
    g = np.full(np.shape(out), NAN)
    tensors = [torch.tensor(x, requires_grad=True) for x in inputs]
    reference(*tensors).backward(torch.tensor(g))
    with np.errstate(all="ignore"):
        for index, tensor in enumerate(tensors):
            got = apply_vjp(op, g, out, list(inputs), attrs, index)
            np.testing.assert_array_equal(got, tensor.grad.numpy(), err_msg=f"{name} {index}")


def test_relu_and_clip_block_a_nan_tangent_as_pytorch():
    import torch.autograd.forward_ad as fwad

    for name, attrs, reference in (("relu", {}, torch.relu),
                                   ("clip", {"min": -0.5, "max": 1.0},
                                    lambda a: torch.clamp(a, -0.5, 1.0))):
        op = REGISTRY[name]
        t = np.full(X.shape, NAN)
        with fwad.dual_level():
            dual = fwad.make_dual(torch.tensor(X), torch.tensor(t))
            expected = fwad.unpack_dual(reference(dual)).tangent.numpy()
        with np.errstate(all="ignore"):
            got = apply_jvp(op, [t], op.forward(X, **attrs), [X], attrs)
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_clip_takes_numpys_positional_bounds():
    """Before: clip(x, -1, 1) was a 422."""
    graph = parse("x = input(3)\nloss = sum(clip(x, -0.5, 2))\n", Limits())
    node = next(n for n in graph.ops if n.op == "clip")
    assert node.attrs == {"min": -0.5, "max": 2.0}
    same = parse("x = input(3)\nloss = sum(clip(x, min=-0.5, max=2))\n", Limits())
    assert next(n for n in same.ops if n.op == "clip").attrs == node.attrs
