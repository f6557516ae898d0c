"""Summaries a run's traces share (carried.py): a parameter entering iteration t is summarised
once, by whichever trace made it first, and only ever given back for the same bits."""

from __future__ import annotations

import gc
import json

import numpy as np
import pytest

from app.api.present import iteration_document
from app.engine.core.carried import ITERATIONS_KEPT, SharedSummaries
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presenter.summary import summarize
from app.engine.presets import PRESETS

SEED = {"preset": "pytorch-numpy-two-layer", "iterations": 6,
        "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 4}}


def params(run: Run) -> list[str]:
    return [nid for nid, node in run.graph.nodes.items() if node.kind == "param"]


def test_stepping_to_the_next_iteration_reuses_its_updates_summaries():
    run = Run(RunSpec(**SEED), Limits())
    before = run.trace(2)
    before.state(0)
    after = run.trace(3)
    after.state(0)
    for p in params(run):
        made = before.tape.summary(p, "value", 1)
        assert after.tape.summary(p, "value", 0) is made  # not summarised again
        # and what a trace of its own would have made of its own array, field for field
        fresh = summarize(after.tape.array(p, "value", 0))
        assert json.dumps(vars(made), default=repr) == json.dumps(vars(fresh), default=repr)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_documents_are_the_same_whichever_trace_summarised_first(preset):
    """Iteration 1's document made after iteration 0's (its parameters' summaries carried)
    equals the one a fresh run makes of iteration 1 alone, byte for byte."""
    spec = RunSpec(preset=preset, iterations=2)
    stepped = Run(spec, Limits())
    iteration_document(stepped.trace(0))
    fresh = Run(spec, Limits())
    assert json.dumps(iteration_document(stepped.trace(1))) == \
        json.dumps(iteration_document(fresh.trace(1)))


def test_a_summary_is_given_back_only_for_the_same_bits():
    shared = SharedSummaries()
    w = np.linspace(-1.0, 1.0, 30).reshape(5, 6)
    made = summarize(w)
    shared.keep("w", True, 4, w, made)
    assert shared.find("w", True, 4, w) is made
    assert shared.find("w", True, 4, w.copy()) is made  # a copy: compared, equal
    assert shared.find("w", True, 3, w) is None  # another iteration
    other = w.copy()
    other[2, 3] = np.nextafter(w[2, 3], 2.0)  # one bit
    assert shared.find("w", True, 4, other) is None
    zero, negative_zero = np.zeros(3), np.array([0.0, -0.0, 0.0])
    shared.keep("z", True, 4, zero, summarize(zero))
    assert shared.find("z", True, 4, negative_zero) is None  # equal as numbers, not as bits


def test_a_parameters_summary_goes_with_its_array_and_few_iterations_are_kept():
    shared = SharedSummaries()
    w = np.ones((3, 3))
    shared.keep("w", True, 0, w, summarize(w))
    del w
    gc.collect()
    assert shared.find("w", True, 0, np.ones((3, 3))) is None  # nothing left to compare with
    assert len(shared) == 0
    arrays = [np.full(4, float(t)) for t in range(ITERATIONS_KEPT + 3)]
    for t, a in enumerate(arrays):
        shared.keep("b", True, t, a, summarize(a))
    assert len(shared) == ITERATIONS_KEPT
    assert shared.find("b", True, 0, arrays[0]) is None
    assert shared.find("b", True, len(arrays) - 1, arrays[-1]) is not None


def test_an_unchanging_leaf_is_summarised_once_per_run_and_only_as_that_array():
    shared = SharedSummaries()
    x = np.arange(6.0)
    made = summarize(x)
    shared.keep("x", False, 0, x, made)
    assert shared.find("x", False, 5, x) is made  # the same array in every iteration
    assert shared.find("x", False, 0, x.copy()) is None
