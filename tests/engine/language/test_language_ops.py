"""The ops people type: each construct of the language parses to the registry's op, and a graph
using them all has PyTorch's gradients and an exported script that prints its losses."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse

EVERYTHING = """x = input(4, 3)
v = param(3)
W = param(3, 4, scale=0.5)
B = param(2, 4, 3, scale=0.5)
E = uniform(5, 3, low=-0.5, high=0.5)
b = zeros(4)
g = ones(1, 4)
c = labels(4, 4)
rows = stack([E[1], E[3], E[1]])
joined = concatenate([x, rows], axis=0)
h = leaky_relu(joined @ W + b, slope=0.1) * g
k = elu(h[0:4], alpha=0.5) + gelu(h[3:])
q = softplus(x @ v) + log1p(abs(x @ v)) + expm1(x @ v * 0.1) + log_sigmoid(x @ v)
r = clip(reshape(k, (2, 8)), min=-0.5, max=2) ** 2
s = maximum(x, 0.1) + minimum(x, 0.2) + 2 ** x + pow(abs(x) + 1, x)
t = sum(B @ v, axis=(0, 1)) + mean(transpose(x), axis=None) + dot(v, v)
u = var(s, axis=0) + std(s, axis=1, keepdims=True).T @ x[:, 0:1] + norm(k, axis=1) @ k[:, 0]
w = prod(k[0, 0:3], axis=0) + max(r, axis=(0, 1)) - min(r, axis=1)[0]
loss = +cross_entropy(k, c) + sum(q) + sum(t) + sum(u) + sum(w)
"""


def test_each_construct_is_the_registrys_op():
    graph = parse(EVERYTHING, Limits())
    ops = {graph.nodes[n].op for n in graph.order if graph.nodes[n].kind == "op"}
    assert {"index", "stack", "concatenate", "leaky_relu", "elu", "gelu", "softplus", "log1p",
            "expm1", "log_sigmoid", "clip", "reshape", "maximum", "minimum", "power",
            "matmul_nd", "transpose", "var", "std", "norm", "prod", "max", "min",
            "cross_entropy"} <= ops
    kinds = {n: graph.nodes[n].kind for n in ("E", "b", "g", "c")}
    assert kinds == {"E": "param", "b": "param", "g": "param", "c": "labels"}
    assert graph.nodes["c"].shape == (4,)
    t_sum = next(graph.nodes[n] for n in graph.order if graph.nodes[n].op == "sum"
                 and graph.nodes[n].attrs["axis"] == (0, 1))
    assert t_sum.shape == ()
    assert graph.nodes["loss"].op == "add"  # a unary plus on the loss changes nothing


def test_everything_trains_and_the_script_prints_its_losses():
    run = Run(RunSpec(source=EVERYTHING, iterations=4, lr=0.01, seed=2), Limits())
    losses = run.losses()
    assert np.all(np.isfinite(losses))
    out = subprocess.run([sys.executable, "-c", run.script()], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    printed = [float(line.split()[1]) for line in out.strip().splitlines()]
    np.testing.assert_allclose(printed, losses, rtol=1e-12)


def test_everything_has_pytorchs_gradients():
    pytest.importorskip("torch")
    from tests.engine.ops.test_torch import torch_gradients

    run = Run(RunSpec(source=EVERYTHING, iterations=2, lr=0.01, seed=2), Limits())
    for t in (0, 1):
        trace = run.trace(t)
        last = len(trace.step_list) - 1
        leaves = run.leaves_at(t)
        for nid, grad in torch_gradients(run, leaves).items():
            np.testing.assert_allclose(trace.tensor(last, nid, "grad"), grad, rtol=1e-9,
                                       atol=1e-12, err_msg=f"{nid} at iteration {t}")


def test_labels_get_no_gradient_and_forward_mode_works_through_everything():
    run = Run(RunSpec(source=EVERYTHING, seed=2), Limits())
    trace = run.trace(0)
    assert trace.state(len(trace.step_list) - 1).nodes["c"].grad is None
    fwd = Run(RunSpec(source=EVERYTHING, seed=2, mode="forward",
                      direction={"leaf": "W", "index": [1, 2]}), Limits()).trace(0)
    tangent = fwd.tensor(len(fwd.step_list) - 1, "loss", "tangent")
    grad = trace.tensor(len(trace.step_list) - 1, "W", "grad")[1, 2]
    np.testing.assert_allclose(tangent, grad, rtol=1e-9)


@pytest.mark.parametrize("source,words", [
    ("x = input(3)\nloss = sum(clip(x, min=x))\n", "clip()'s min= must be a number"),
    ("x = input(3)\nloss = sum(x, axis=1.5)\n", "axis must be a whole number, None, or a tuple"),
    ("x = input(3)\nloss = sum(reshape(x, (0, 3)))\n", "a size must be a positive whole number"),
    ("x = input(3)\nloss = sum(x[::0])\n", "a slice's step cannot be 0"),
    ("x = input(3)\nloss = sum(stack([x]))\n", "takes one list of 2 to 64 tensors"),
    ("x = input(3)\nloss = sum(stack([x, x[0:2]]))\n", "stack needs tensors of one shape"),
    ("x = input(3, 4)\nc = labels(3, 4)\nd = labels(3, 4)\nloss = cross_entropy(x, d)\n",
     "'c' is never used"),
    # a tensor of floats as labels crashed training (IndexError) where a class was out of range
    ("x = param(3, 2)\ny = input(3)\nloss = cross_entropy(x, y * 5 + 3)\n",
     "cross_entropy's labels must be a labels(N, C) leaf"),
    ("x = param(3, 2)\ny = input(3)\nloss = cross_entropy(x, y)\n",
     "cross_entropy's labels must be a labels(N, C) leaf"),
    ("x = param(3, 2)\nc = labels(3, 5)\nloss = cross_entropy(x, c)\n",
     "the labels c count 5 classes but the logits x have 2 columns"),
    ("x = input(3)\ny = uniform(3, low=1, high=0)\nloss = sum(x * y)\n", "low < high"),
    ("x = input(3)\nloss = +x\n", "only renames"),
])
def test_errors(source, words):
    with pytest.raises(SourceError) as error:
        parse(source, Limits())
    assert words in str(error.value)


def test_the_readme_lists_every_op_with_its_rule():
    """The README's table is the registry's (`gradwalk ops`): every op, written once."""
    from pathlib import Path

    from app.engine.language.optable import ops_table
    from app.engine.ops.registry import REGISTRY

    readme = Path(__file__).resolve().parents[3].joinpath("README.md").read_text()
    table = ops_table().strip().split("\n")
    assert len(table) == len(REGISTRY) + 2
    for line in table:
        assert line in readme, line


def test_a_unary_plus_on_the_loss_is_the_loss():
    """`loss = +sum(…)` was a 500: the plus changes nothing, the loss keeps its name."""
    graph = parse("x = input(3)\nw = param(3)\nloss = +sum(x * +w)\n", Limits())
    assert graph.loss == "loss" and graph.nodes["loss"].op == "sum"
