"""Memory benchmark: what a traced iteration keeps, and a worker's RSS against its budget.

Prints
- the bytes one traced iteration of the fan-in graph retains (an input of 1000×1000 feeding 150
  `sum` nodes: every sum sends a full-size contribution to the input's gradient), measured with
  tracemalloc after every state of the iteration was made, against its forward values plus
  final gradients (target: retained ≤ 100 MB; keeping every contribution retained ~1.15 GB);
- a real worker (uvicorn, GRADWALK_CACHE_BYTES set) asked for many runs and iterations: its
  RSS after start, its peak RSS, and the peak minus the cache budget (target: within the budget
  plus a constant, whatever the sequence).

A script, not a test: it asserts nothing, it prints. The request loop is bounded in count and
sends traffic to 127.0.0.1 only.

    .venv/bin/python bench/memory.py [--budget-mib 256] [--runs 24] [--skip-server]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

# bench/ holds http.py, which would shadow the standard library's http: run from the repo root.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402

from app.engine.core.limits import Limits  # noqa: E402
from app.engine.core.run import Run, RunSpec  # noqa: E402
from app.serving.devserver import devserver  # noqa: E402
from tests.engine.core.test_tape import fan_in_source  # noqa: E402  (the graph the test uses)

MIB = 2**20


def traced_retained() -> None:
    run = Run(RunSpec(source=fan_in_source(1000, 1000, 150), iterations=1), Limits(max_nodes=400))
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    trace = run.trace(0)
    for k in range(len(trace.step_list)):
        trace.state(k)
    elapsed = time.perf_counter() - start
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - base
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    x = run.leaves["x"].nbytes
    print(f"1000×1000 input feeding 150 sums, one traced iteration ({len(trace.step_list)} "
          f"steps, every state made, {elapsed:.1f} s): retained {retained / MIB:.1f} MiB, "
          f"peak {peak / MIB:.1f} MiB (the input is {x / MIB:.1f} MiB; target retained "
          f"<= 100 MB; keeping every contribution: ~{150 * x / MIB:.0f} MiB)")


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def server_rss(budget: int, runs: int) -> None:
    env = {"GRADWALK_CACHE_BYTES": str(budget), "GRADWALK_MAX_NODES": "400"}
    with devserver(["--log-level", "warning"], env=env) as base:
        pid = _server_pid(base)
        api = httpx.Client(base_url=f"{base}/api/v1", timeout=300)
        start_rss = peak = rss(pid)
        requests = 0
        for i in range(runs):
            if i % 8 == 7:
                body = {"source": fan_in_source(1000, 1000, 150), "iterations": 1, "seed": i}
            else:
                body = {"preset": "pytorch-numpy-two-layer", "seed": i, "iterations": 6,
                        "params": {"N": 256, "D_in": 1000, "H": 1000}}
            run = api.post("/runs", json=body)
            requests += 1
            run_id = run.json()["run_id"]
            for t in range(min(3, run.json()["iterations"])):
                for path in (f"/runs/{run_id}/iterations/{t}",
                             f"/runs/{run_id}/iterations/{t}/steps/3"):
                    response = api.get(path)
                    requests += 1
                    assert response.status_code == 200, response.text[:300]
                peak = max(peak, rss(pid))
        print(f"worker under {requests} requests ({runs} runs, up to 3 traced iterations each, "
              f"GRADWALK_CACHE_BYTES = {budget / MIB:.0f} MiB): RSS after start "
              f"{start_rss / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB, peak − budget "
              f"{(peak - budget) / MIB:.0f} MiB (target: a constant, whatever the sequence)")


def _server_pid(base: str) -> int:
    """The pid of the server devserver started for `base` (its command line names the port)."""
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"uvicorn" in b" ".join(argv) and port.encode() in argv:
            return int(proc.name)
    raise RuntimeError("no server process found for " + base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args()
    traced_retained()
    if not args.skip_server:
        server_rss(args.budget_mib * MIB, args.runs)


if __name__ == "__main__":
    main()
