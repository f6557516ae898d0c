"""app.engine.presenter.layernorms: per layer, ‖∂loss/∂(its parameters)‖, and when it is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presenter.layernorms import _norm, layer_norms, layer_of

SOURCE = '''x = input(4, 3)
with group("layer 1"):
    W1 = param(3, 5)
    b1 = param(5)
    h = tanh(x @ W1 + b1)
with group("layer 2"):
    W2 = param(5, 2)
    out = h @ W2
w = param(2)
loss = sum(out * w)
'''


def gradients(leaves: dict) -> dict[str, np.ndarray]:
    """∂loss/∂p by PyTorch, from the run's own leaves."""
    torch = pytest.importorskip("torch")
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in leaves.items()}
    h = torch.tanh(t["x"] @ t["W1"] + t["b1"])
    loss = ((h @ t["W2"]) * t["w"]).sum()
    loss.backward()
    return {k: v.grad.numpy() for k, v in t.items() if v.grad is not None}


def test_each_layer_is_the_norm_of_all_its_parameters_gradients():
    run = Run(RunSpec(source=SOURCE, iterations=1, seed=3), Limits())
    trace = run.trace(0)
    grads = gradients(run.leaves_at(0))
    layers = layer_norms(trace)
    assert [(layer.name, layer.params) for layer in layers] == [
        ("layer 1", ("W1", "b1")), ("layer 2", ("W2",)), ("w", ("w",))]
    for layer in layers:
        expected = math.sqrt(sum(np.sum(grads[p] ** 2) for p in layer.params))
        assert layer.norm == pytest.approx(expected, rel=1e-12), layer.name


def test_a_layer_is_known_from_the_step_its_last_gradient_completes():
    trace = Run(RunSpec(source=SOURCE, iterations=1, seed=3), Limits()).trace(0)
    made = trace.tape.made_at
    by_name = {layer.name: layer for layer in layer_norms(trace)}
    steps = {p: made[(p, "grad", trace.expected[p])] for p in ("W1", "b1", "W2", "w")}
    assert by_name["layer 1"].step == max(steps["W1"], steps["b1"])
    assert steps["W1"] != steps["b1"]  # so taking the first of them would be seen
    assert by_name["layer 2"].step == steps["W2"] < by_name["layer 1"].step  # the loss side first


def test_forward_mode_has_no_layers():
    spec = RunSpec(source=SOURCE, iterations=1, mode="forward")
    assert layer_norms(Run(spec, Limits()).trace(0)) == []


def test_a_parameter_in_no_group_is_its_own_layer_and_the_innermost_group_wins():
    class Node:
        def __init__(self, id, groups):
            self.id, self.groups = id, groups

    assert layer_of(Node("w", ())) == "w"
    assert layer_of(Node("w", ("net", "net/block 2"))) == "net/block 2"


def test_a_nan_or_inf_gradient_makes_the_norm_say_so():
    class Summary:
        def __init__(self, nan=0, inf=0, norm=1.0):
            self.nan, self.inf, self.norm = nan, inf, norm

    assert math.isnan(_norm(Summary(nan=1, inf=1)))
    assert _norm(Summary(inf=2)) == math.inf
    assert _norm(Summary(norm=None)) == math.inf
    assert _norm(Summary(norm=2.5)) == 2.5
