"""The schedule as data: one list of events that training, the stepper and the script read."""

from __future__ import annotations

import numpy as np

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.core.schedule import Backward, Event, Schedule

SEED = {"preset": "pytorch-numpy-two-layer", "params": {"N": 8, "D_in": 30}, "iterations": 3}


def test_events_in_phase_order_with_sends_per_edge():
    run = Run(RunSpec(**SEED), Limits())
    schedule = run.schedule
    assert [e.phase for e in schedule.events] == \
        ["load"] + ["forward"] * 6 + ["seed"] + ["backward"] * 6 + ["update"] * 2
    assert schedule.phases() == {"load": [0, 0], "forward": [1, 6], "seed": [7, 7],
                                 "backward": [8, 13], "update": [14, 15]}
    backward = schedule.of(Backward)
    assert [e.node for e in backward] == ["loss", "tmp2", "tmp1", "y_pred", "h_relu", "h"]
    # as in the tutorial, no gradient of the data inputs: y_pred - y sends to y_pred only,
    # x @ w1 to w1 only
    assert [s.edge.source for s in backward[2].sends] == ["y_pred"]
    assert [s.edge.source for s in backward[-1].sends] == ["w1"]
    assert schedule.parameters == ["w1", "w2"]
    # asked for, the inputs get theirs too: the same steps, one more send each
    with_inputs = Run(RunSpec(**SEED, input_grads=True), Limits()).schedule.of(Backward)
    assert [e.node for e in with_inputs] == [e.node for e in backward]
    assert [s.edge.source for s in with_inputs[2].sends] == ["y_pred", "y"]
    assert [s.edge.source for s in with_inputs[-1].sends] == ["x", "w1"]


def test_fan_out_accumulates_after_the_first_arrival():
    source = "a = param(value=2.0)\nb = a * a\nc = sin(a)\nloss = b + c + a\n"
    schedule = Schedule(Run(RunSpec(source=source), Limits()).graph)
    arrivals = [s.accumulate for s in schedule.arrivals()["a"] for s in [s[1]]]
    assert arrivals == [False, True, True, True]  # from loss's add, then c, then b twice
    assert schedule.expected()["a"] == 4 and schedule.expected()["loss"] == 1


def test_pruned_keeps_only_what_the_parameters_need():
    run = Run(RunSpec(**SEED), Limits())
    pruned = run.schedule.pruned(["w1", "w2"])
    sources = {s.edge.source for e in pruned for s in e.sends}
    assert "x" not in sources and "y" not in sources and {"w1", "w2"} <= sources
    assert [e.phase for e in pruned].count("forward") == 6


def test_one_schedule_feeds_training_the_stepper_and_the_script():
    """Change the run's schedule object, and all three see the change."""
    run = Run(RunSpec(**SEED), Limits())
    w2_before = run.leaves["w2"].copy()
    # drop w2's update: an edit of the one schedule
    run.schedule.events = [e for e in run.schedule.events
                           if not (e.phase == "update" and e.node == "w2")]
    trace = run.trace(0)
    assert [s.node for s in trace.step_list if s.phase == "update"] == ["w1"]
    script = run.script()
    assert "w1 -= learning_rate * grad_w1" in script and "w2 -= learning_rate" not in script
    training = run.training()
    np.testing.assert_array_equal(training.leaves_at(2)["w2"], w2_before)
    assert not np.array_equal(training.leaves_at(2)["w1"], run.leaves["w1"])


def test_a_reordered_schedule_reorders_all_three():
    run = Run(RunSpec(**SEED), Limits())
    events = run.schedule.events
    updates = [e for e in events if e.phase == "update"]
    run.schedule.events = [e for e in events if e.phase != "update"] + updates[::-1]
    assert [s.node for s in run.trace(0).step_list if s.phase == "update"] == ["w2", "w1"]
    lines = run.script().split("\n")
    assert lines.index("    w2 -= learning_rate * grad_w2") < \
        lines.index("    w1 -= learning_rate * grad_w1")
    assert isinstance(run.schedule.events[-1], Event)
