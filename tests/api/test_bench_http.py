"""Smoke run of bench/http.py: it starts, measures, prints its figures and stops the server."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from apihelpers import ROOT


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (Debian package)")
def test_bench_http_prints_its_figures():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "http.py"), "--seconds", "1", "--connections", "4"],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "bytes plain" in done.stdout and "bytes gzipped" in done.stdout
    assert done.stdout.startswith("state: seed network")
    for label in ("plain:", "gzip :"):
        line = next(line for line in done.stdout.splitlines() if line.startswith(label))
        assert "requests/s" in line and "p99" in line and "non-2xx 0" in line
