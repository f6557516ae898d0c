"""Run descriptions: canonical form, untrusted decoding, limits on iterations and time."""

from __future__ import annotations

import pytest

from app.engine.core.errors import BusyError, InvalidRequestError, LimitError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from tests.engine.conftest import state_json


def test_canonical_fills_defaults_so_equal_runs_are_equal():
    a = RunSpec(preset="pytorch-numpy-two-layer").canonical()
    b = RunSpec(preset="pytorch-numpy-two-layer", params={"N": 64}, lr=1e-6,
                iterations=500).canonical()
    assert a == b
    assert a["params"] == {"D_in": 1000, "D_out": 10, "H": 100, "N": 64}
    assert RunSpec.from_canonical(a).canonical() == a


@pytest.mark.parametrize("data,message", [
    ([], "not a version-1"), ({"v": 2}, "not a version-1"),
    ({"v": 1, "preset": "colah-sum-of-paths", "evil": 1}, "unexpected fields"),
    ({"v": 1, "preset": 3}, "preset must be text"),
    ({"v": 1, "source": "x = input(2)\nloss = sum(x)\n", "seed": -1}, "seed"),
    ({"v": 1, "source": "x", "preset": "colah-sum-of-paths"}, "exactly one"),
    ({"v": 1, "preset": "colah-sum-of-paths", "lr": "fast"}, "lr"),
    ({"v": 1, "preset": "colah-sum-of-paths", "iterations": 0}, "iterations"),
    ({"v": 1, "preset": "colah-sum-of-paths", "params": []}, "params must be an object"),
])
def test_from_canonical_rejects_malformed(data, message):
    with pytest.raises(InvalidRequestError, match=message):
        RunSpec.from_canonical(data)


def test_iteration_limit():
    with pytest.raises(LimitError, match="max_iterations is 10"):
        Run(RunSpec(preset="colah-sum-of-paths", iterations=11), Limits(max_iterations=10))


def test_compute_budget_is_counted_from_the_shapes_before_any_work():
    spec = RunSpec(preset="pytorch-numpy-two-layer", iterations=5000)
    cost = Run(spec, Limits(max_compute=10**13)).cost
    # the seed network: two matmuls forward (2·64·1000·100 + 2·64·100·10 FLOPs) and their VJPs
    assert 2 * 2 * 64 * 1000 * 100 < cost.per_iteration < 4 * 2 * 64 * 1000 * 100
    assert cost.training == 5000 * cost.per_iteration and cost.total > cost.training
    with pytest.raises(LimitError, match="max_compute is 1000000000") as refused:
        Run(spec, Limits(max_compute=10**9))
    assert refused.value.actual == cost.total  # the same number on every worker, under any load
    assert "fewer iterations" in refused.value.message
    assert "per training iteration × 5000 iterations" in refused.value.message


def test_training_is_lazy_up_to_the_iteration_asked_for():
    run = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits())
    leaves = run.leaves_at(3)
    assert run.training().trained == 3  # a cold worker asked for iteration 3 trains 3
    again = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits())
    again.losses()
    assert again.training().trained == 500
    for name, value in again.leaves_at(3).items():
        assert (value == leaves[name]).all()
    assert run.losses() == again.losses()


def test_the_watchdog_is_busy_not_a_failure_and_keeps_the_progress():
    run = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits(max_compute_seconds=0.02))
    busy = 0
    while True:
        try:
            losses = run.losses()
            break
        except BusyError as error:
            busy += 1
            assert error.retry_after >= 1 and "progress is kept" in error.message
            assert busy < 10_000
    assert busy >= 1
    assert losses == Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits()).losses()


def test_free_source_params_are_named_numbers():
    run = Run(RunSpec(source="x = input(N, 2)\nloss = sum(x * k)\n", params={"N": 3, "k": 0.5}),
              Limits())
    assert run.graph.nodes["x"].shape == (3, 2)
    with pytest.raises(InvalidRequestError, match="identifier"):
        Run(RunSpec(source="x = input(2)\nloss = sum(x)\n", params={"1x": 3}), Limits())


def test_checkpoints_are_bounded_and_any_iteration_is_exact():
    from app.engine.core.training import CHECKPOINT_BYTES

    run = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits())
    training = run.training()
    held = sum(a.nbytes for c in training.checkpoints.values() for a in c.values())
    assert held <= CHECKPOINT_BYTES
    assert training.every > 1
    t = training.every * 3 + 1
    # the leaves of iteration t, trained from a checkpoint, give exactly the loss of iteration t
    trace = run.trace(t)
    assert state_json(trace, run.phases()["forward"][1])["loss"] == run.losses()[t]


def test_a_presets_seed_is_applied_unless_the_request_names_one(monkeypatch):
    import dataclasses

    import numpy as np

    from app.engine import presets

    preset = presets.PRESETS["micrograd-neuron"]
    monkeypatch.setitem(presets.PRESETS, preset.id, dataclasses.replace(preset, seed=5))
    assert Run(RunSpec(preset=preset.id), Limits()).seed == 5
    assert RunSpec(preset=preset.id).canonical()["seed"] == 5
    assert Run(RunSpec(preset=preset.id, seed=2), Limits()).seed == 2
    source = Run(RunSpec(source="w = param(3)\nloss = sum(w * w)\n"), Limits())
    assert source.seed == 0
    np.testing.assert_array_equal(source.leaves["w"], np.random.RandomState(0).randn(3))


def test_the_graph_document_is_the_descriptions_graph_without_checking_a_backward():
    """The layout reads the graph alone: a user backward's numeric check (a pass per argument)
    is the description's work, not the drawing's."""
    source = ("def smooth_relu(x):\n    return log(1 + exp(x))\n"
              "def smooth_relu_backward(g, out, x):\n    return g * sigmoid(x)\n\n"
              "x = input(4, 3)\nw = param(3, 2)\nloss = sum(smooth_relu(x @ w))\n")
    run = Run(RunSpec(source=source, iterations=1), Limits())
    graph = run.graph_document()
    assert run.describe()["custom_ops"][0]["check"] is not None
    fresh = Run(RunSpec(source=source, iterations=1), Limits())
    checked = []
    fresh.check_backwards = lambda: checked.append(True)
    assert fresh.graph_document() == graph and checked == []
