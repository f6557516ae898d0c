"""dropout(x, p): a mask drawn from the run's seed (the same run id, the same mask), scaled
1/(1 − p) as PyTorch scales it; the VJP multiplies by that mask; torch, given the same mask,
computes the same numbers (torch's own RNG cannot draw numpy's mask: what is compared is the
scaling and the gradients for one mask, and separately that the mask is the seed's draw)."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse
from app.engine.ops.registry import apply_vjp, get_op
from tests.engine.presenter.test_script_is_the_run import assert_same_losses

SOURCE = """x = input(6, 5)
W = param(5, 4)
h = dropout(tanh(x @ W), p=0.25)
V = param(4, 1)
loss = mean((h @ V) ** 2)
"""


def _run(seed=3, source=SOURCE):
    return Run(RunSpec(source=source, iterations=3, lr=0.1, seed=seed), Limits())


def _mask(run):
    (mask,) = [n for n in run.graph.order if run.graph.nodes[n].init
               and run.graph.nodes[n].init.get("dist") == "dropout"]
    return mask


def test_the_mask_is_the_seed_s_draw_in_declaration_order():
    run = _run()
    mask = run.leaves[_mask(run)]
    rs = np.random.RandomState(3)
    x, W = rs.randn(6, 5), rs.randn(5, 4)  # the leaves declared before the call
    np.testing.assert_array_equal(run.leaves["x"], x)
    np.testing.assert_array_equal(run.leaves["W"], W)
    np.testing.assert_array_equal(mask, (rs.rand(6, 4) >= 0.25) / 0.75)
    np.testing.assert_array_equal(run.leaves["V"], rs.randn(4, 1))  # then the next leaf
    np.testing.assert_array_equal(_run().leaves[_mask(run)], mask)  # same run id, same mask
    assert not np.array_equal(_run(seed=4).leaves[_mask(run)], mask)


def test_a_mask_keeps_one_minus_p_of_the_elements_scaled():
    run = _run(source="x = input(50, 40)\nloss = sum(dropout(x, p=0.3))\n")
    mask = run.leaves[_mask(run)]
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    kept = np.mean(mask > 0)
    assert abs(kept - 0.7) < 5 * np.sqrt(0.7 * 0.3 / mask.size)


def test_the_scaling_and_the_gradient_are_torch_s_for_torch_s_own_mask():
    torch = pytest.importorskip("torch")
    op = get_op("dropout")
    torch.manual_seed(0)
    x = torch.randn(7, 9, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.dropout(x, p=0.4, training=True)
    g = torch.randn(7, 9, dtype=torch.float64)
    out.backward(g)
    mask = (out != 0).double().numpy() / (1 - 0.4)  # torch's kept elements, scaled as we do
    ours = op.forward(x.detach().numpy(), mask, p=0.4)
    np.testing.assert_allclose(ours, out.detach().numpy(), rtol=1e-15, atol=0)
    grad = apply_vjp(op, g.numpy(), ours, [x.detach().numpy(), mask], {"p": 0.4}, 0)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=1e-15, atol=0)


def test_training_equals_a_torch_sgd_loop_with_the_run_s_mask():
    torch = pytest.importorskip("torch")
    run = _run()
    mask = torch.tensor(run.leaves[_mask(run)])
    x = torch.tensor(run.leaves["x"])
    W = torch.tensor(run.leaves["W"], requires_grad=True)
    V = torch.tensor(run.leaves["V"], requires_grad=True)
    losses = []
    for _ in range(3):
        loss = (((torch.tanh(x @ W) * mask) @ V) ** 2).mean()
        losses.append(loss.item())
        gW, gV = torch.autograd.grad(loss, [W, V])
        with torch.no_grad():
            W -= 0.1 * gW
            V -= 0.1 * gV
    np.testing.assert_allclose(run.losses()[:3], losses, rtol=1e-10)


def test_the_exported_script_draws_the_same_mask():
    assert_same_losses(_run())


def test_pytorch_s_spellings_are_the_same_op():
    plain = parse("x = input(3, 4)\nloss = sum(dropout(x, p=0.2))\n", Limits())
    for spelled in ("F.dropout(x, 0.2)", "torch.nn.functional.dropout(x, p=0.2, training=True)"):
        graph = parse(f"x = input(3, 4)\nloss = sum({spelled})\n", Limits())
        assert [(n.kind, n.op, n.attrs, n.init) for n in graph.nodes.values()] == \
            [(n.kind, n.op, n.attrs, n.init) for n in plain.nodes.values()]


@pytest.mark.parametrize("call, words", [
    ("dropout(x, p=1)", "p must be in [0, 1)"),
    ("dropout(x, p=-0.1)", "p must be in [0, 1)"),
    ("dropout(x, p=0.5, training=False)", "training mode only"),
    ("dropout(x, x)", "p= must be a number"),
    ("dropout(x, 0.5, 0.1)", "takes one tensor, then p"),
])
def test_errors_say_what_is_allowed(call, words):
    with pytest.raises(SourceError) as error:
        parse(f"x = input(3, 4)\nloss = sum({call})\n", Limits())
    assert words in str(error.value)
