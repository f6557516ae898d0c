"""app.engine.instruments.gradcheck: autodiff against central differences, and the verdicts."""

from __future__ import annotations

import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.instruments.gradcheck import ROUNDOFF_FACTOR, has_arm, judged, rel_error


def test_relative_error_is_over_the_larger_magnitude_and_zero_for_two_zeros():
    assert rel_error(1.0, 1.1) == pytest.approx(0.1 / 1.1)
    assert rel_error(-2.0, 2.0) == 2.0
    assert rel_error(0.0, 0.0) == 0.0


def test_the_three_verdicts():
    assert judged(1.0, 1.0 + 1e-9, 1e-12, 1e-6)["verdict"] == "good"
    # over the tolerance, but within ROUNDOFF_FACTOR × the difference's round-off: its fault
    assert judged(1e-9, 2e-9, 1e-9 / ROUNDOFF_FACTOR, 1e-6)["verdict"] == "roundoff"
    assert judged(1e-9, 2e-9, 0.5e-9 / ROUNDOFF_FACTOR, 1e-6)["verdict"] == "bad"
    assert judged(1.0, 1.5, 1e-12, 1e-6) == {"rel_error": pytest.approx(0.5 / 1.5),
                                             "roundoff": 1e-12, "verdict": "bad"}


def test_an_h_squared_arm_is_seen_from_the_differences_alone():
    """Differences d(h) = g + c·h² at h falling by half decades: changes fall ×10 each step."""
    hs = [10 ** (-k / 2) for k in range(2, 10)]
    assert has_arm([3.0 + 0.7 * h * h for h in hs])
    assert not has_arm([3.0] * len(hs))  # no truncation error to see
    assert not has_arm([3.0 + 0.7 * h for h in hs])  # ∝ h: ×√10 a step, not ×10


def test_a_run_checks_every_parameter_and_passes():
    source = "x = input(4, 3)\nW = param(3, 2)\nb = param(2)\nloss = mean(tanh(x @ W + b) ** 2)\n"
    check = Run(RunSpec(source=source, iterations=2, seed=5), Limits()).gradcheck(1)
    assert [p.leaf for p in check.params] == ["W", "b"]
    assert check.h == pytest.approx(2.0 ** (-52 / 3))  # ε^(1/3) of float64
    for param in check.params:
        for row in (param.direction, *param.entries):
            assert row.verdict == "good" and row.rel_error < check.tolerance, (param.leaf, row)
            assert row.rel_error == rel_error(row.autodiff, row.numerical)


def test_a_wrong_gradient_is_bad():
    """The check can fail: a backward that the source defines wrong is caught."""
    source = ("def f(x):\n    return x * x\n\ndef f_backward(g, out, x):\n    return 3 * x * g\n\n"
              "w = param(3)\nloss = sum(f(w))\n")
    check = Run(RunSpec(source=source, iterations=1, seed=1), Limits()).gradcheck(0)
    assert check.params[0].direction.verdict == "bad"
