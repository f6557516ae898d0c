"""An attack asking one worker for many large runs and many of their iterations leaves the
worker's memory (RSS, measured from /proc) under its cache budget plus a constant."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.serving.devserver import devserver

CACHE_BYTES = 48 << 20
#: interpreter, numpy, the app, and one computation's transient arrays
CONSTANT = 200 << 20


def _rss(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) * 1024


def _server_pid(port: str) -> int:
    found = subprocess.run(["pgrep", "-f", f"uvicorn app.main:create_app.*--port {port}"],
                           capture_output=True, text=True).stdout.split()
    return int(found[0])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_many_large_runs_and_iterations_stay_under_the_budget():
    with devserver(["--log-level", "warning"], env={"GRADWALK_CACHE_BYTES": str(CACHE_BYTES)}
                   ) as base, httpx.Client(base_url=f"{base}/api/v1", timeout=300) as http:
        pid = _server_pid(base.rsplit(":", 1)[1])
        http.get("/presets").raise_for_status()
        http.post("/runs", json={"preset": "colah-sum-of-paths"}).raise_for_status()
        baseline = _rss(pid)
        peak = baseline
        sampling = True

        def sample():
            nonlocal peak
            while sampling:
                peak = max(peak, _rss(pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            for seed in range(8):
                body = {"preset": "pytorch-numpy-two-layer", "seed": seed, "iterations": 6,
                        "params": {"N": 256, "D_in": 2000, "H": 400, "D_out": 10}}
                made = http.post("/runs", json=body)
                made.raise_for_status()
                run_id, last = made.json()["run_id"], made.json()["steps_per_iteration"] - 1
                for t in range(0, 6, 2):
                    http.get(f"/runs/{run_id}/iterations/{t}").raise_for_status()
                    http.get(f"/runs/{run_id}/iterations/{t}/steps/9").raise_for_status()
                    http.get(f"/runs/{run_id}/iterations/{t}/steps/{last}/tensors/w1/grad",
                             params={"format": "npy"}).raise_for_status()
        finally:
            sampling = False
            sampler.join()
        final = _rss(pid)
    assert peak <= baseline + CACHE_BYTES + CONSTANT, (baseline >> 20, peak >> 20)
    assert final <= baseline + CACHE_BYTES + CONSTANT, (baseline >> 20, final >> 20)
