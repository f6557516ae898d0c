"""Steps, states by direct access, gradient statuses, and the memory ledger."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import NotFoundError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from tests.engine.conftest import state_json


@pytest.fixture(scope="module")
def seed_trace():
    return Run(RunSpec(preset="pytorch-numpy-two-layer", params={"N": 8, "D_in": 30}),
               Limits()).trace(0)


def test_phases_in_order(seed_trace):
    phases = [s.phase for s in seed_trace.step_list]
    assert phases == ["load"] + ["forward"] * 6 + ["seed"] + ["backward"] * 6 + ["update"] * 2
    forward = [s.node for s in seed_trace.step_list if s.phase == "forward"]
    assert forward == ["h", "h_relu", "y_pred", "tmp1", "tmp2", "loss"]
    backward = [s.node for s in seed_trace.step_list if s.phase == "backward"]
    assert backward == list(reversed(forward))
    assert [s.node for s in seed_trace.step_list if s.phase == "update"] == ["w1", "w2"]


def test_state_values_and_grads_appear_when_computed(seed_trace):
    before = state_json(seed_trace, 0)["nodes"]
    assert before["h"]["value"] is None and before["x"]["value"]["shape"] == [8, 30]
    assert all(n["grad"] is None for n in before.values())
    after_h = state_json(seed_trace, 1)["nodes"]
    assert after_h["h"]["value"]["shape"] == [8, 100]
    seed_step = next(s.index for s in seed_trace.step_list if s.phase == "seed")
    at_seed = state_json(seed_trace, seed_step)["nodes"]
    assert at_seed["loss"]["grad"]["values"] == 1.0
    assert at_seed["loss"]["grad_status"] == "complete"
    assert at_seed["w1"]["grad_status"] == "none"


def test_random_access_equals_walking(seed_trace):
    """State k read directly equals state k reached after visiting every other state."""
    fresh = Run(RunSpec(preset="pytorch-numpy-two-layer", params={"N": 8, "D_in": 30}),
                Limits()).trace(0)
    direct = [state_json(fresh, k) for k in (11, 3, 15)]
    walked = {k: state_json(seed_trace, k) for k in range(len(seed_trace.step_list))}
    assert direct == [walked[11], walked[3], walked[15]]


def _two_layer_by_hand(x, y, w1, w2, lr):
    """The seed network's values, gradients and updated parameters, in plain numpy (the seed
    script's own lines): a reference that shares no code with the tape."""
    h = x @ w1
    h_relu = np.maximum(h, 0)
    y_pred = h_relu @ w2
    tmp1 = y_pred - y
    grad_tmp1 = 2.0 * tmp1
    grad_h = (grad_tmp1 @ w2.T) * (h > 0)
    grads = {"loss": 1.0, "tmp2": np.ones_like(tmp1), "tmp1": grad_tmp1, "y_pred": grad_tmp1,
             "h_relu": grad_tmp1 @ w2.T, "w2": h_relu.T @ grad_tmp1, "h": grad_h,
             "w1": x.T @ grad_h}
    values = {"h": h, "h_relu": h_relu, "y_pred": y_pred, "tmp1": tmp1, "tmp2": tmp1 ** 2,
              "loss": np.sum(tmp1 ** 2), "w1": w1 - lr * grads["w1"], "w2": w2 - lr * grads["w2"]}
    return values, grads


@pytest.mark.parametrize("k", [11, 3, 15])
def test_random_access_equals_the_network_by_hand(k):
    """State k read directly (a fresh trace, no other step visited) holds what the seed
    network computes by hand: every value known at k, every gradient complete at k."""
    trace = Run(RunSpec(preset="pytorch-numpy-two-layer", params={"N": 8, "D_in": 30}),
                Limits()).trace(0)
    leaves = [trace.tensor(0, n, "value") for n in ("x", "y", "w1", "w2")]
    values, grads = _two_layer_by_hand(*leaves, trace.lr)
    state = trace.state(k)
    known = 0
    for nid, node in state.nodes.items():
        updated = nid in ("w1", "w2") and k >= 14 + (nid == "w2")
        if node.value is not None and nid in values and (updated or nid not in ("w1", "w2")):
            np.testing.assert_allclose(trace.tensor(k, nid, "value"), values[nid], rtol=1e-12)
            known += 1
        if node.grad_status == "complete":
            np.testing.assert_allclose(trace.tensor(k, nid, "grad"), grads[nid], rtol=1e-12)
            known += 1
    assert known >= {3: 3, 11: 10, 15: 16}[k]


def test_update_steps_change_the_parameter(seed_trace):
    k = next(s.index for s in seed_trace.step_list if s.phase == "update" and s.node == "w1")
    old = seed_trace.tensor(k - 1, "w1", "value")
    new = seed_trace.tensor(k, "w1", "value")
    grad = seed_trace.tensor(k, "w1", "grad")
    np.testing.assert_array_equal(new, old - 1e-6 * grad)
    assert state_json(seed_trace, k)["nodes"]["w1"]["updated"]
    assert not state_json(seed_trace, k - 1)["nodes"]["w1"]["updated"]


def test_memory_ledger_grows_in_forward_and_shrinks_in_backward(seed_trace):
    memory = [s.memory_bytes for s in seed_trace.step_list]
    forward = [s.memory_bytes for s in seed_trace.step_list if s.phase in ("load", "forward")]
    backward = [s.memory_bytes for s in seed_trace.step_list if s.phase == "backward"]
    assert forward == sorted(forward) and forward[-1] > 0
    assert backward == sorted(backward, reverse=True) and backward[-1] == 0
    # relu keeps h, the second matmul keeps h_relu, the square keeps y_pred - y
    assert max(memory) == (8 * 100 + 8 * 100 + 8 * 10) * 8
    peak = seed_trace.step_list[memory.index(max(memory))]
    assert peak.held == ["h", "h_relu", "tmp1"]


@pytest.mark.parametrize("input_grads", [False, True])
def test_the_ledger_keeps_only_what_the_gradients_computed_need(input_grads):
    """`y * log(p)`: log(p) is read only by ∂/∂y. Without the data inputs' gradients it is
    not kept (the old ledger kept it, by op, and the narration said so); with them it is."""
    run = Run(RunSpec(preset="logistic-regression", input_grads=input_grads), Limits())
    trace = run.trace(0)
    labels = {n["id"]: n["label"] for n in run.describe()["graph"]["nodes"]}
    held = {labels[n] for s in trace.step_list for n in s.held}
    for only_for_y in ("log(p)", "log(1 - p)"):
        assert (only_for_y in held) == input_grads
    assert {"p", "1 - p", "1 - y"} <= held  # ∂/∂p and ∂/∂(1 - p) read these
    forward = " ".join(s.narration for s in trace.step_list if s.phase == "forward")
    assert ("log(p) kept for the backward pass" in forward) == input_grads


def test_unknown_step_node_and_missing_grad_are_not_found(seed_trace):
    with pytest.raises(NotFoundError, match="steps are 0 to 15"):
        state_json(seed_trace, 17)
    with pytest.raises(NotFoundError, match="nodes are x, y, w1"):
        seed_trace.tensor(3, "nope", "value")
    with pytest.raises(NotFoundError, match="it exists from step"):
        seed_trace.tensor(3, "w1", "grad")
    with pytest.raises(NotFoundError, match="iterations are 0 to 499"):
        Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits()).trace(500)


def test_nan_and_inf_are_reported_not_raised():
    run = Run(RunSpec(source="x = input(value=-1.0)\ny = param(value=0.0)\n"
                             "loss = sqrt(x) + log(y)\n", iterations=2), Limits())
    trace = run.trace(0)
    state = state_json(trace, len(trace.step_list) - 1)
    assert state["nodes"]["loss"]["value"]["values"] == "NaN"
    assert state["nodes"]["tmp2"]["value"]["values"] == "-Infinity"
    assert state["nodes"]["loss"]["value"]["nan"] == 1
    assert run.losses()[0] != run.losses()[0]  # NaN, and training went on


def test_a_large_graphs_load_step_names_a_few_leaves_and_counts_the_rest():
    from bench.graphs import deep_mlp_source

    run = Run(RunSpec(source=deep_mlp_source(48), iterations=2), Limits())
    load = run.trace(0).step_list[0]
    assert "and 90 more" in load.narration  # x, y and 96 parameters: 8 named
    assert len(load.narration) < 600 and "and 90 more" in load.latex
