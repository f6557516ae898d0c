"""batch_norm and layer_norm as a source writes them: PyTorch's argument order, the weight and
bias optional (the numbers 1 and 0), clear errors, the script's losses equal to the engine's,
and a training run whose losses equal a torch SGD loop (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse
from tests.engine.presenter.test_script_is_the_run import assert_same_losses

BN = """x = input(4, 3, 2, 2)
g = param(3)
b = param(3)
h = batch_norm(x, g, b, eps=0.001)
loss = sum(h * h * x)
"""
LN = """x = input(5, 2, 3)
w = param(2, 3)
b = param(2, 3)
h = layer_norm(x, (2, 3), w, b)
loss = sum(h * x) + mean(layer_norm(x, [3], bias=b[0]) ** 3)
"""


@pytest.mark.parametrize("source", [BN, LN], ids=["batch_norm", "layer_norm"])
def test_the_exported_script_prints_the_engine_s_losses(source):
    assert_same_losses(Run(RunSpec(source=source, iterations=3, lr=0.05, seed=1), Limits()))


def test_a_missing_weight_or_bias_is_one_or_zero():
    graph = parse("x = input(4, 3)\nb = param(3)\nloss = sum(batch_norm(x, None, b))\n", Limits())
    consts = [n for n in graph.nodes.values() if n.kind == "const"]
    assert [(c.label, c.init["value"]) for c in consts] == [("1 (no weight)", 1.0)]
    graph = parse("x = input(4, 3)\nloss = sum(layer_norm(x, (3,)) ** 2)\n", Limits())
    assert sorted(n.label for n in graph.nodes.values() if n.kind == "const") == \
        ["0 (no bias)", "1 (no weight)"]


@pytest.mark.parametrize("source, words", [
    ("x = input(1, 3)\nloss = sum(batch_norm(x))\n", "more than one value per channel"),
    ("x = input(4, 3)\nw = param(4)\nloss = sum(batch_norm(x, w))\n",
     "batch_norm's weight has shape (4,); it must be (3,)"),
    ("x = input(4, 3)\nloss = sum(layer_norm(x, (4,)))\n",
     "normalized_shape (4,) must be the last axes"),
    ("x = input(4, 3)\nloss = sum(layer_norm(x))\n", "normalized_shape () must be the last"),
    ("x = input(4, 3)\nb = param(3)\nloss = sum(batch_norm(x, None, b, bias=b))\n",
     "got bias twice"),
    ("x = input(4, 3)\nloss = sum(batch_norm(x, eps=-1))\n", "eps must be ≥ 0"),
    ("x = input(4, 3)\nb = param(3)\nloss = sum(layer_norm(x, (3,), b, b, b))\n",
     "takes 1 to 3 arguments, got 5"),
    ("x = input(4, 3)\nb = param(3)\nloss = sum(batch_norm(x, b, b, b))\n",
     "keeps no running mean or variance"),
])
def test_errors_name_the_rule(source, words):
    with pytest.raises(SourceError) as error:
        parse(source, Limits())
    assert words in str(error.value)


def test_training_with_batch_norm_and_layer_norm_equals_a_torch_sgd_loop():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    source = """x = input(6, 3, 2, 2)
g = param(3)
b = param(3)
w = param(3, 4)
v = param(4)
h = batch_norm(x, g, b)
z = layer_norm(mean(h, axis=(2, 3)) @ w, (4,), v)
loss = mean(z * z * z)
"""
    run = Run(RunSpec(source=source, iterations=3, lr=0.1, seed=3), Limits())
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in run.leaves.items()}
    losses = []
    for _ in range(3):
        h = F.batch_norm(leaves["x"], None, None, leaves["g"], leaves["b"], training=True)
        z = F.layer_norm(h.mean(dim=(2, 3)) @ leaves["w"], (4,), leaves["v"])
        loss = (z ** 3).mean()
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, [leaves[k] for k in "gbwv"])
        with torch.no_grad():
            for k, grad in zip("gbwv", grads, strict=True):
                leaves[k] -= 0.1 * grad
    np.testing.assert_allclose(run.losses()[:3], losses, rtol=1e-10)


@pytest.mark.parametrize("spelled, plain", [
    ("F.batch_norm(x, None, None, w, b, training=True)", "batch_norm(x, w, b)"),
    ("torch.nn.functional.batch_norm(x, None, None, weight=w, bias=b, training=True, "
     "momentum=0.1, eps=0.001)", "batch_norm(x, w, b, eps=0.001)"),
    ("F.batch_norm(x, running_mean=None, running_var=None, bias=b, training=True)",
     "batch_norm(x, None, b)"),
    ("F.layer_norm(x, [3], weight=w, bias=b, eps=0.1)", "layer_norm(x, (3,), w, b, eps=0.1)"),
    ("x.layer_norm((3,), w)", "layer_norm(x, (3,), w)"),
])
def test_pytorch_s_argument_lists_are_the_same_op(spelled, plain):
    program = "x = input(4, 3)\nw = param(3)\nb = param(3)\nloss = sum({}) + sum(w) + sum(b)\n"
    ops = [[(n.kind, n.op, n.inputs, n.attrs) for n in parse(program.format(c), Limits())
            .nodes.values()] for c in (spelled, plain)]
    assert ops[0] == ops[1]


@pytest.mark.parametrize("call, words", [
    ("F.batch_norm(x, w, b, None, None, training=True)", "keeps no running mean or variance"),
    ("F.batch_norm(x, None, None, w, b)", "needs training=True"),
    ("F.batch_norm(x, None, None, w, b, training=False)", "needs training=True"),
])
def test_pytorch_s_form_says_what_gradwalk_does_not_keep(call, words):
    with pytest.raises(SourceError) as error:
        parse(f"x = input(4, 3)\nw = param(3)\nb = param(3)\nloss = sum({call})\n", Limits())
    assert words in str(error.value)
