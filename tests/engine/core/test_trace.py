"""The trace reads states off the tape without presenting the steps; its errors speak the
engine's words (the API adds how to ask: app/api/errors.py)."""

from __future__ import annotations

import pytest

from app.engine.core.errors import NotFoundError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec

SOURCE = "x = input(3, 2)\nw = param(2, 1)\ny = input(3, 1)\nloss = sum((x @ w - y) ** 2)"


def test_a_data_input_gradient_not_computed_names_the_option_in_engine_words():
    trace = Run(RunSpec(source=SOURCE, iterations=1, input_grads=False), Limits()).trace(0)
    with pytest.raises(NotFoundError) as raised:
        trace.tensor(len(trace.schedule.events) - 1, "x", "grad")
    assert raised.value.option == "input_grads"
    assert "input_grads false" in raised.value.message
    assert '"input_grads": true' not in raised.value.message  # the API's wording, not here
    with pytest.raises(NotFoundError) as raised:
        trace.tensor(0, "w", "grad")  # not yet: no option would make it exist
    assert raised.value.option == ""


def test_states_and_tensors_are_read_without_presenting_the_steps(monkeypatch):
    trace = Run(RunSpec(source=SOURCE, iterations=1), Limits()).trace(0)

    def presented(*_):
        raise AssertionError("the steps were presented")

    monkeypatch.setattr("app.engine.core.trace.Presenter", presented)
    last = len(trace.schedule.events) - 1
    trace.check_step(last)
    assert trace.node_state(last, "w").grad_status == "complete"
    assert trace.tensor(last, "x", "grad").shape == (3, 2)
    assert trace.changes()[last]["w"]["updated"] is True
    monkeypatch.undo()
    assert [s.phase for s in trace.step_list][-1] == "update"
