"""The README's "Use the API" examples run as written against a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from apihelpers import ROOT

README_URL = "http://127.0.0.1:8000"


def _blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use the API", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def _env() -> dict:
    # `python3` in the examples is the one with numpy: this virtualenv's.
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def test_the_curl_examples(live_server, tmp_path):
    script = "\n".join(_blocks("sh"))  # the later blocks use the first one's $BASE and $RUN
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_URL, live_server)],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1000, 100)"
    assert b'"phase":"backward"' in (tmp_path / "state.json").read_bytes()
    assert (tmp_path / "steps.json").read_bytes().startswith(b'{"iteration":0')
    tangent = json.loads((tmp_path / "tangent.json").read_bytes())
    assert tangent["which"] == "tangent" and tangent["shape"] == []
    modes = json.loads((tmp_path / "modes.json").read_bytes())
    assert (modes["forward"]["sweeps"], modes["reverse"]["sweeps"]) == (101000, 1)
    check = json.loads((tmp_path / "gradcheck.json").read_bytes())
    assert check["sweep"]["best_rel_error"] <= 1e-8
    memory = json.loads((tmp_path / "memory.json").read_bytes())
    assert memory["peak_bytes"] == max(memory["bytes_after"]) > 0


def test_the_httpx_example(live_server, tmp_path):
    (program,) = _blocks("python")
    done = subprocess.run(
        [sys.executable, "-c", program.replace(README_URL, live_server)],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("13 ") and "loss" in lines[0]
    assert lines[1].startswith("complete ")
    assert lines[-1] == "(1000, 100)"
