"""Forward mode: values and tangents in one sweep; the loss tangent is one gradient entry."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import InvalidRequestError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presets import PRESETS

BROADCAST_FAN_OUT = ("x = input(4, 3)\nw = param(3, 3, scale=0.5)\nb = param(3)\n"
                     "h = tanh(x @ w + b)\na = relu(h)\nc = h * h\nd = exp(-h) / (1 + c)\n"
                     "loss = sum(a + c) + mean(d) + sum(b * b)\n")
SCALARS = "a = param(value=2.0)\nb = param(value=-3.0)\nc = a * b\nloss = c * a + sin(b)\n"


def reverse_grads(spec: RunSpec, t: int) -> dict[str, np.ndarray]:
    run = Run(spec, Limits())
    trace = run.trace(t)
    last = len(trace.step_list) - 1
    return {nid: trace.tensor(last, nid, "grad") for nid in run.graph.order
            if run.graph.nodes[nid].kind in ("input", "param")}


def loss_tangent(spec: RunSpec, leaf: str, index: tuple, t: int) -> float:
    forward = RunSpec(**{**spec.__dict__, "mode": "forward",
                         "direction": {"leaf": leaf, "index": list(index)}})
    run = Run(forward, Limits())
    trace = run.trace(t)
    return float(trace.tensor(len(trace.step_list) - 1, run.graph.loss, "tangent"))


def check_against_reverse(spec: RunSpec, t: int, per_leaf: int = 2) -> None:
    grads = reverse_grads(spec, t)
    rng = np.random.default_rng(t)
    for leaf, grad in grads.items():
        for _ in range(per_leaf):
            index = tuple(int(rng.integers(n)) for n in grad.shape)
            np.testing.assert_allclose(loss_tangent(spec, leaf, index, t), grad[index],
                                       rtol=1e-10, atol=1e-12, err_msg=f"{leaf}{index}")


@pytest.mark.parametrize("preset", sorted(set(PRESETS) - {"custom-backward"}))
def test_loss_tangent_is_the_reverse_gradient_entry_on_every_preset(preset):
    """(custom-backward's wrong backward disagrees with forward mode on purpose: it is tested
    in test_custom_ops.py)"""
    # input_grads: the inputs' tangents are checked against their reverse gradients too
    spec = RunSpec(preset=preset, iterations=2 if preset != "colah-sum-of-paths" else None,
                   input_grads=True)
    if preset == "pytorch-numpy-two-layer":
        spec = RunSpec(preset=preset, iterations=2, params={"N": 8, "D_in": 30},
                       input_grads=True)
    for t in range(min(2, Run(spec, Limits()).iterations)):
        check_against_reverse(spec, t)


@pytest.mark.parametrize("source", [BROADCAST_FAN_OUT, SCALARS])
def test_loss_tangent_on_typed_graphs_with_broadcasting_and_fan_out(source):
    spec = RunSpec(source=source, iterations=2, lr=0.05, seed=3)
    for t in (0, 1):
        check_against_reverse(spec, t, per_leaf=3)


def test_steps_states_and_tensors_of_a_forward_run():
    run = Run(RunSpec(source=SCALARS, mode="forward", direction={"leaf": "a", "index": []}),
              Limits())
    trace = run.trace(0)
    assert [s.phase for s in trace.step_list] == ["load"] + ["forward"] * 4
    assert run.describe()["quantities"] == ["value", "tangent"]
    assert run.describe()["phases"] == {"load": [0, 0], "forward": [1, 4]}
    assert all(s.memory_bytes == 0 for s in trace.step_list)  # nothing kept for a backward
    last = trace.state(4)
    # loss = a*b*a + sin(b): d/da = 2ab = -12
    assert last.nodes["loss"].tangent.values == -12.0
    assert last.nodes["b"].tangent.values == 0.0 and last.nodes["a"].tangent.values == 1.0
    assert trace.state(0).nodes["c"].tangent is None  # not computed yet
    step = trace.step_list[2]  # c * a, both inputs carry a tangent
    assert "\\dot{c}" in step.latex and "\\dot{a}" in step.latex
    assert step.code.splitlines()[1] == "dot_tmp1 = dot_c * a + c * dot_a"
    assert "derivative along a" in step.narration
    # ∂(c·a)/∂c · ċ + ∂(c·a)/∂a · ȧ with real numbers: a = 2, ċ = b = -3, c = -6, ȧ = 1
    assert "= 2 \\cdot (-3) + (-6) \\cdot 1 = -12" in step.latex
    sin_b = trace.step_list[3]
    assert "tangent is 0" in sin_b.narration and len(sin_b.code.splitlines()) == 1
    with pytest.raises(Exception, match="tensors are 'value', 'tangent'"):
        trace.tensor(4, "a", "grad")


def test_direction_is_checked_against_the_graph():
    with pytest.raises(InvalidRequestError, match="not an input or parameter"):
        Run(RunSpec(source=SCALARS, mode="forward", direction={"leaf": "c"}), Limits())
    with pytest.raises(InvalidRequestError, match="not an element of a"):
        Run(RunSpec(source=SCALARS, mode="forward", direction={"leaf": "a", "index": [0]}),
            Limits())
    with pytest.raises(InvalidRequestError, match="for mode 'forward' only"):
        RunSpec(source=SCALARS, direction={"leaf": "a"}).canonical()
    with pytest.raises(InvalidRequestError, match="'reverse' or 'forward'"):
        RunSpec(source=SCALARS, mode="sideways").canonical()
    default = Run(RunSpec(preset="pytorch-numpy-two-layer", mode="forward"), Limits())
    assert default.direction == ("w1", (0, 0))


def test_reverse_run_ids_are_unchanged_and_forward_ones_encode_mode_and_direction():
    reverse = RunSpec(preset="micrograd-neuron").canonical()
    assert "mode" not in reverse and "direction" not in reverse
    forward = RunSpec(preset="micrograd-neuron", mode="forward",
                      direction={"leaf": "w1", "index": []}).canonical()
    assert forward["mode"] == "forward" and forward["direction"] == {"leaf": "w1", "index": []}
    assert RunSpec.from_canonical(forward).canonical() == forward


def test_forward_iteration_t_uses_the_reverse_runs_parameters():
    spec = dict(source=BROADCAST_FAN_OUT, iterations=3, lr=0.05)
    reverse = Run(RunSpec(**spec), Limits())
    forward = Run(RunSpec(**spec, mode="forward", direction={"leaf": "w", "index": [0, 1]}),
                  Limits())
    np.testing.assert_array_equal(forward.trace(2).tensor(0, "w", "value"),
                                  reverse.training().leaves_at(2)["w"])
    assert forward.losses() == reverse.losses()
