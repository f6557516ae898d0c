"""The presets' exact values: colah's sum of paths, micrograd's neuron, D2L's two paths."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import InvalidRequestError, NotFoundError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presets import PRESETS, get_preset
from tests.engine.conftest import state_json


def final_state(preset: str):
    trace = Run(RunSpec(preset=preset), Limits()).trace(0)
    return trace, state_json(trace, len(trace.step_list) - 1)


def test_colah_sum_of_paths():
    trace, state = final_state("colah-sum-of-paths")
    values = {n: s["value"]["values"] for n, s in state["nodes"].items()}
    assert (values["c"], values["d"], values["e"]) == (3.0, 2.0, 6.0)
    assert state["nodes"]["a"]["grad"]["values"] == 2.0
    assert state["nodes"]["b"]["grad"]["values"] == 5.0
    arrivals = [c for s in trace.step_list for c in s.contributions if c.to == "b"]
    assert sorted(trace.tensor(s.index, "b", "grad").item() for s in trace.step_list
                  if any(c.to == "b" for c in s.contributions)) == [3.0, 5.0]
    assert [c.accumulate for c in arrivals] == [False, True]
    first = next(s for s in trace.step_list if any(c.to == "b" for c in s.contributions))
    assert state_json(trace, first.index)["nodes"]["b"]["grad_status"] == "partial"
    assert state["nodes"]["b"]["grad_status"] == "complete"


def test_micrograd_neuron():
    _, state = final_state("micrograd-neuron")
    nodes = state["nodes"]
    assert nodes["o"]["value"]["values"] == pytest.approx(0.7071, abs=1e-4)
    grads = {n: nodes[n]["grad"]["values"] for n in ("x1", "w1", "x2", "w2")}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}, abs=1e-12)


def test_d2l_weights_receive_two_contributions_that_sum():
    """W gets lam * W through the penalty s and dL/dW through L; the gradient is their sum."""
    trace, state = final_state("d2l-mlp-l2")
    preset = get_preset("d2l-mlp-l2")
    without_penalty = preset.source.replace("J = L + s\n", "").replace(
        "s = lam / 2 * (sum(W1 ** 2) + sum(W2 ** 2))\n", "")
    numbers = {p.name: p.default for p in preset.params if p.name != "lam"}
    plain = Run(RunSpec(source=without_penalty, params=numbers), Limits()).trace(0)
    for w in ("W1", "W2"):
        steps = [s for s in trace.step_list if any(c.to == w for c in s.contributions)]
        assert len(steps) == 2, w
        assert [c.accumulate for s in steps for c in s.contributions if c.to == w] == \
            [False, True]
        assert state["nodes"][w]["expected"] == 2
        assert state_json(trace, steps[0].index)["nodes"][w]["grad_status"] == "partial"
        penalty = 0.1 * trace.tensor(0, w, "value")
        through_loss = plain.tensor(len(plain.step_list) - 1, w, "grad")
        first = trace.tensor(steps[0].index, w, "grad")
        np.testing.assert_allclose(first, penalty, rtol=1e-12)  # s is later: its path is first
        np.testing.assert_allclose(trace.tensor(steps[1].index, w, "grad"),
                                   penalty + through_loss, rtol=1e-12)


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda preset: preset.id)
def test_every_preset_runs_and_trains(preset):
    """Every update is p - lr * ∂loss/∂p, and at each preset's learning rate the loss falls."""
    assert preset.description and preset.title
    for p in preset.params:
        assert p.min <= p.default <= p.max
    run = Run(RunSpec(preset=preset.id, iterations=min(max(preset.iterations, 2), 20)), Limits())
    losses = np.array(run.losses())
    assert np.all(np.isfinite(losses))
    first, second = run.trace(0), run.trace(1)
    last = len(first.step_list) - 1
    assert losses[0] == pytest.approx(first.tensor(last, run.graph.loss, "value"), rel=1e-12)
    assert losses[1] == pytest.approx(second.tensor(last, run.graph.loss, "value"), rel=1e-12)
    params = [n.id for n in run.graph.nodes.values() if n.kind == "param"]
    moved = []
    for p in params:
        before = first.tensor(0, p, "value")
        grad = first.tensor(last, p, "grad")
        np.testing.assert_allclose(second.tensor(0, p, "value"), before - run.lr * grad,
                                   rtol=1e-12, atol=0, err_msg=p)
        moved.append(np.any(grad != 0))
    if preset.id == "custom-backward":  # its wrong backward is the lesson: the loss rises
        assert not run.describe()["custom_ops"][1]["check"]["ok"]
        assert np.all(np.diff(losses) > 0), losses
    elif params:
        assert any(moved)
        assert np.all(np.diff(losses) < 0), losses
    else:  # nothing to train (colah's sum of paths): the loss cannot move
        assert np.all(losses == losses[0])


def test_preset_params_are_checked():
    with pytest.raises(NotFoundError, match="presets are"):
        get_preset("nope")
    with pytest.raises(InvalidRequestError, match="unknown parameter 'Q'"):
        Run(RunSpec(preset="pytorch-numpy-two-layer", params={"Q": 1}), Limits())
    with pytest.raises(InvalidRequestError, match="params.N: must be a number from 1 to 512"):
        Run(RunSpec(preset="pytorch-numpy-two-layer", params={"N": 0}), Limits())
    with pytest.raises(InvalidRequestError, match="whole number"):
        Run(RunSpec(preset="pytorch-numpy-two-layer", params={"N": 2.5}), Limits())
    run = Run(RunSpec(preset="pytorch-numpy-two-layer", params={"N": 8, "D_in": 20}), Limits())
    assert run.graph.nodes["x"].shape == (8, 20)


def test_small_cnn_pooling_routes_each_window_to_one_element():
    """∂loss/∂h of the convolution's relu: max pooling sent each 2 × 2 window's gradient to one
    element (its first largest), so every window holds at most one nonzero, at its max."""
    trace, _ = final_state("small-cnn")
    last = len(trace.step_list) - 1
    h, grad = trace.tensor(last, "h", "value"), trace.tensor(last, "h", "grad")
    n, k = h.shape[:2]
    windows = grad.reshape(n, k, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, k, 4, 4, 4)
    values = h.reshape(n, k, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, k, 4, 4, 4)
    assert np.all(np.count_nonzero(windows, axis=-1) <= 1)
    assert np.count_nonzero(windows) > 0
    hit = windows != 0
    np.testing.assert_array_equal(np.argmax(hit, axis=-1)[hit.any(-1)],
                                  np.argmax(values, axis=-1)[hit.any(-1)])
