"""The exported script, run in a subprocess, prints the engine's losses."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presets import PRESETS


def run_script(text: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", text], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return [float(line.split()[1]) for line in out.strip().splitlines()]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_script_prints_the_engine_losses(preset):
    run = Run(RunSpec(preset=preset, seed=3), Limits())
    printed = run_script(run.script())
    assert len(printed) == run.iterations
    np.testing.assert_allclose(printed, run.losses(), rtol=1e-12)


def test_script_of_a_custom_source_with_broadcasting_and_fan_in():
    source = ("x = input(5, 3)\nb = param(3)\nc = param(5, 1, scale=0.5)\n"
              "z = tanh(x + b) * x + c / (1 + exp(-x))\nloss = mean(z ** 3) + sum(b * b)\n")
    run = Run(RunSpec(source=source, lr=0.05, iterations=30, seed=7), Limits())
    np.testing.assert_allclose(run_script(run.script()), run.losses(), rtol=1e-12)


def test_every_step_knows_its_lines_in_the_script():
    run = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits())
    lines = run.script().split("\n")
    for step in run.trace(0).step_list:
        assert step.lines, step.phase
        assert [lines[i - 1].strip() for i in step.lines] == step.code.split("\n")
