"""softsign, the op added as one entry (elementwise.py: forward, LaTeX, its derivative once and a
routing sentence), reaches everything a run has: the steps' LaTeX, code and gate sentence, forward
mode, the gradient check and the exported script, with PyTorch's numbers. (The registry-driven
tests take it up by themselves: finite differences, JVP, templates, torch.nn.functional.softsign.)
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.ops.registry import REGISTRY
from tests.engine.core.test_forward_mode import loss_tangent, reverse_grads
from tests.engine.presenter.test_script_is_the_run import assert_same_losses

SOURCE = "x = input(4, 3)\nW = param(3, 2)\nh = softsign(x @ W)\nloss = mean(h * h)\n"
SPEC = RunSpec(source=SOURCE, iterations=3, lr=0.5, seed=7)


def test_its_steps_write_it_and_its_routing_sentence():
    trace = Run(SPEC, Limits()).trace(0)
    forward = next(s for s in trace.step_list if s.phase == "forward" and s.node == "h")
    assert "1 + |" in forward.latex and "np.abs(" in forward.code
    backward = next(s for s in trace.step_list if s.phase == "backward" and s.node == "h")
    assert backward.rule == REGISTRY["softsign"].routes
    assert any("(1 + |" in c.latex for c in backward.contributions)


def test_pytorch_gives_the_same_gradient_and_forward_mode_the_same_entry():
    torch = pytest.importorskip("torch")
    run = Run(SPEC, Limits())
    leaves = run.leaves_at(1)
    x = torch.tensor(leaves["x"])
    w = torch.tensor(leaves["W"], requires_grad=True)
    torch.mean(torch.nn.functional.softsign(x @ w) ** 2).backward()
    grads = reverse_grads(SPEC, 1)
    np.testing.assert_allclose(grads["W"], w.grad.numpy(), rtol=1e-12)
    assert loss_tangent(SPEC, "W", (2, 1), 1) == pytest.approx(grads["W"][2, 1], rel=1e-10)


def test_the_gradient_check_passes_and_the_script_is_the_run():
    run = Run(SPEC, Limits())
    check = run.gradcheck(2)
    assert all(p.direction.verdict == "good" for p in check.params)
    assert_same_losses(run)
