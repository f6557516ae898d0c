"""The PyTorch tutorial's numpy network (shared/seeds/000_...) reproduced exactly."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from tests.engine.conftest import state_json


def seed_script(seed: int, iterations: int = 500):
    """The tutorial's loop, as written there (np.random.seed(seed) first); losses and grads."""
    np.random.seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = np.random.randn(N, D_in)
    y = np.random.randn(N, D_out)
    w1 = np.random.randn(D_in, H)
    w2 = np.random.randn(H, D_out)
    learning_rate = 1e-6
    losses, first_grads = [], None
    for t in range(iterations):
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        loss = np.square(y_pred - y).sum()
        losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        if t == 0:
            first_grads = {"y_pred": grad_y_pred, "w2": grad_w2, "h_relu": grad_h_relu,
                           "h": grad_h, "w1": grad_w1}
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return np.array(losses), first_grads


@pytest.mark.parametrize("seed", [0, 1])
def test_500_losses_equal_the_seed_script(seed):
    want, _ = seed_script(seed)
    run = Run(RunSpec(preset="pytorch-numpy-two-layer", seed=seed), Limits())
    got = np.array(run.losses())
    assert len(got) == 500
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert got[-1] < got[0] * 1e-6  # it trains


@pytest.mark.parametrize("seed", [0, 1])
def test_iteration_0_gradients_equal_the_seed_script(seed):
    _, want = seed_script(seed, iterations=1)
    trace = Run(RunSpec(preset="pytorch-numpy-two-layer", seed=seed), Limits()).trace(0)
    last = len(trace.step_list) - 1
    for name, grad in want.items():
        np.testing.assert_allclose(trace.tensor(last, name, "grad"), grad, rtol=1e-12,
                                   err_msg=f"grad_{name}")


def test_backward_steps_use_the_seed_names():
    trace = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits()).trace(0)
    code = "\n".join(s.code for s in trace.step_list if s.phase == "backward")
    for statement in ("grad_w2 = h_relu.T @ grad_y_pred", "grad_h_relu = grad_y_pred @ w2.T",
                      "grad_h = np.where(h > 0, grad_h_relu, 0.0)", "grad_w1 = x.T @ grad_h"):
        assert statement in code
    by_node = {s.node: s for s in trace.step_list if s.phase == "backward"}
    assert "gradient of the loss with respect to h_relu is complete" in by_node["h_relu"].narration
    # the tutorial computes no grad_x: h sends to w1 only (input_grads is off by default)
    assert "gradient of the loss with respect to w1." in by_node["h"].narration
    assert "grad_x" not in code and "grad_y =" not in code
    assert "with respect to the loss" not in " ".join(s.narration for s in trace.step_list
                                                    if s.phase == "backward")


def test_later_iteration_state_matches_the_seed_parameters():
    """Iteration t's load step holds the parameters after t updates, via checkpoints."""
    run = Run(RunSpec(preset="pytorch-numpy-two-layer", iterations=100), Limits())
    trace = run.trace(37)
    np.random.seed(0)
    x, y = np.random.randn(64, 1000), np.random.randn(64, 10)
    w1, w2 = np.random.randn(1000, 100), np.random.randn(100, 10)
    for _ in range(37):
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        grad_y_pred = 2.0 * (h_relu.dot(w2) - y)
        grad_h = grad_y_pred.dot(w2.T)
        grad_h[h < 0] = 0
        w1, w2 = w1 - 1e-6 * x.T.dot(grad_h), w2 - 1e-6 * h_relu.T.dot(grad_y_pred)
    np.testing.assert_allclose(trace.tensor(0, "w1", "value"), w1, rtol=1e-12)
    np.testing.assert_allclose(trace.tensor(0, "w2", "value"), w2, rtol=1e-12)
    forward_end = run.phases()["forward"][1]
    assert state_json(trace, forward_end)["loss"] == pytest.approx(run.losses()[37], rel=1e-12)
