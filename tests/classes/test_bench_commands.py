"""The class benches start the way their docstrings say: `python bench/<name>.py`, from the
repository, with no PYTHONPATH set (a reader copies the command as it is written). Each is asked
for its --help, which runs every import of the bench and of the modules it brings in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("bench", ["classroom.py", "classcost.py", "load.py"])
def test_the_documented_command_imports_the_bench(bench):
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    done = subprocess.run([sys.executable, f"bench/{bench}", "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage:")
