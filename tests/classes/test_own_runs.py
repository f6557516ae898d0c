"""A student's run as class mode computes it (app/classes/own.py: the class's graph parsed once,
the steps presented only when read) is the engine's Run with the student's seed: the same
value and gradient after every step, the same steps word for word, on every preset, at the
first iteration and after training."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.api.settings import Settings
from app.api.store import RunStore
from app.classes.own import Template
from app.engine.core.errors import NotFoundError
from app.engine.core.run import Run, RunSpec
from app.engine.presets import PRESETS

SMALL = {"pytorch-numpy-two-layer": {"N": 8, "D_in": 20, "H": 10, "D_out": 3}}


def _tensor(trace, k, nid, which):
    try:
        return trace.tensor(k, nid, which)
    except NotFoundError as error:
        return ("missing", error.message)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_students_run_is_the_engines_run_with_their_seed(preset):
    limits = RunStore(Settings()).limits
    spec = RunSpec(preset=preset, iterations=3, params=SMALL.get(preset, {}))
    template = Template(spec, limits)
    for seed in (12345, 2**32 - 7):
        own = template.student(seed)
        engine = Run(dataclasses.replace(spec, seed=seed), limits)
        for t in (0, 2):
            numbers, trace = own.numbers(t), engine.trace(t)
            assert numbers.expected == trace.expected
            for k in range(len(trace.step_list)):
                assert numbers.grad_version(k, numbers.graph.loss) == \
                    trace.grad_version(k, trace.graph.loss)
                for nid in trace.graph.order:
                    for which in ("value", "grad"):
                        mine, theirs = _tensor(numbers, k, nid, which), \
                            _tensor(trace, k, nid, which)
                        if isinstance(theirs, tuple):
                            assert mine == theirs
                        else:
                            assert np.array_equal(mine, theirs, equal_nan=True), (k, nid, which)
            assert numbers._presenter is None  # nothing presented until the steps are read
            assert numbers.step_list == trace.step_list
    with pytest.raises(NotFoundError):
        template.student(1).numbers(3)
