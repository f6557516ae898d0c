"""present.py: the one place that makes JSON of the engine's arrays and dataclasses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.api import present
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presenter.summary import summarize


def test_non_finite_numbers_become_their_names_and_json_refuses_nan():
    s = present.summary_json(summarize(np.array([1.0, np.nan, np.inf, -np.inf])))
    assert s["values"] == [1.0, "NaN", "Infinity", "-Infinity"]
    assert (s["nan"], s["inf"]) == (1, 2)
    json.loads(present.encode_json(s))
    with pytest.raises(ValueError):
        present.encode_json({"x": float("nan")})
    assert present.array_json(np.float64("-inf")) == "-Infinity"
    assert present.losses_document([1.0, float("nan")]) == {"iterations": 2,
                                                             "losses": [1.0, "NaN"]}


def test_summary_json_fields_are_plain_python():
    s = present.summary_json(summarize(np.arange(300.0).reshape(20, 15)))
    assert s["values"] is None and s["shape"] == [20, 15] and s["dtype"] == "float64"
    assert s["heatmap"]["rows"] == 16 and isinstance(s["heatmap"]["cells"][0][0], float)
    assert sum(s["histogram"]["counts"]) == 300
    assert all(type(v) in (int, float) for v in (s["min"], s["max"], s["mean"], s["std"]))


def test_steps_carry_mathml_right_after_their_latex():
    trace = Run(RunSpec(preset="colah-sum-of-paths"), Limits()).trace(0)
    steps = present.steps_json(trace.step_list)
    keys = list(steps[1])
    assert keys[keys.index("latex") + 1] == "mathml" and steps[1]["mathml"].startswith("<math")
    backward = next(s for s in steps if s["phase"] == "backward" and s["contributions"])
    assert set(backward["contributions"][0]) == {"edge", "to", "accumulate", "shape", "latex",
                                                 "code", "arrived", "expected", "gradient"}
    assert backward["contributions"][0]["gradient"] == "∂e/∂c"  # the loss's own name


def test_bad_latex_still_gives_mathml():
    assert present.mathml("\\frac{").startswith('<math display="block">')


def test_state_json_has_the_step_the_loss_and_every_node_field():
    trace = Run(RunSpec(preset="micrograd-neuron", iterations=1), Limits()).trace(0)
    last = len(trace.step_list) - 1
    state = present.state_json(trace.state(last))
    assert state["step"] == last and isinstance(state["loss"], float)
    assert set(state["nodes"]["w1"]) == {"value", "grad", "grad_status", "received",
                                         "expected", "updated"}
