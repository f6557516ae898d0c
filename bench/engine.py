"""Engine benchmark: ratios against references run in this same process.

Prints
- the engine's 500-iteration training loop / the seed script's raw numpy loop (target ≤ 1.15),
- the same / PyTorch CPU autograd on the same network (when torch is installed),
- one fully traced iteration (every state of every step summarised) / one raw iteration
  (target ≤ 5, issue 24), and a run's first trace (before any summary of its inputs is made),
- the path a user takes — `POST /runs` of a fresh seed network, then `GET …/losses`, through
  the app in this process — / the raw loop (target ≤ 1.10),
- a loss chart's first points: `POST` of a fresh 500-iteration seed network, then the first
  page of its losses (`?start=0&stop=16`), against the whole list (target ≤ 1 s),
- "Check gradients" on the seed preset: both dtypes' `…/gradcheck` of a fresh run through the
  app, in seconds and / one raw iteration (target ≤ 1 s),
- the size of one step's state of the seed network as JSON, and of its iteration document,
- the 48-layer tanh MLP (245 nodes, 392 steps): the bytes of its iteration document against
  the bytes of all its states (what a viewer fetching one state per step moved) (target ≤ 1
  MiB), and the 100-layer one (505 nodes; target ≤ 2 MiB).
Both sides compute with one BLAS thread, as a server worker does (app/__init__.py).
Ratios, not absolute times: these machines are shared and noisy. Each figure takes the fastest
of several repeats (the run least disturbed by other work), interleaved so background load hits
both sides alike.
"""

from __future__ import annotations

import gzip
import os
import statistics
import sys
import time
from pathlib import Path

# one BLAS thread, as a server worker computes (app/__init__.py): set before numpy is imported,
# so the raw loops and the engine are timed alike (with 2 threads on a shared 2-core machine the
# raw side's matmuls waited for a busy core, and the engine's did not run as it is served)
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

# bench/ holds http.py, which would shadow the standard library's http: run from the repo root.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from fastapi.testclient import TestClient  # noqa: E402

from app.api import present  # noqa: E402
from app.api.compact import decode_iteration  # noqa: E402
from app.api.settings import Settings  # noqa: E402
from app.engine.core.limits import Limits  # noqa: E402
from app.engine.core.run import Run, RunSpec  # noqa: E402
from app.main import create_app  # noqa: E402
from bench.graphs import deep_mlp_source  # noqa: E402

ITERATIONS = 500
REPEATS = 7


def seed_iteration(x, y, w1, w2, learning_rate=1e-6) -> float:
    """One iteration of the tutorial's loop (shared/seeds/000_8df8de34688d81f4.txt), in place."""
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
    return loss


def raw_loop(iterations: int, seed: int = 0) -> list[float]:
    """The tutorial's numpy loop: its random draws, then its iteration."""
    np.random.seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = np.random.randn(N, D_in)
    y = np.random.randn(N, D_out)
    w1 = np.random.randn(D_in, H)
    w2 = np.random.randn(H, D_out)
    return [seed_iteration(x, y, w1, w2) for _ in range(iterations)]


def torch_loop(iterations: int, seed: int = 0):
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    np.random.seed(seed)
    arrays = [np.random.randn(64, 1000), np.random.randn(64, 10),
              np.random.randn(1000, 100), np.random.randn(100, 10)]
    x, y, w1, w2 = (torch.tensor(a) for a in arrays)
    w1.requires_grad_(True)
    w2.requires_grad_(True)
    for _ in range(iterations):
        loss = ((x.mm(w1).clamp(min=0).mm(w2) - y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            w1 -= 1e-6 * w1.grad
            w2 -= 1e-6 * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()


def engine_loop(iterations: int) -> list[float]:
    return Run(RunSpec(preset="pytorch-numpy-two-layer", iterations=iterations),
               Limits()).losses()


SEED_RUN = Run(RunSpec(preset="pytorch-numpy-two-layer", iterations=1), Limits())


def traced_iteration() -> int:
    """One iteration traced and every step's state summarised (leaves already drawn). Traced
    before, its unchanging inputs and the parameters entering it have their summaries already
    (app/engine/core/carried.py), as when a run is stepped from one iteration to the next or
    an iteration's trace is made again; first_trace is a run's first, with none."""
    trace = SEED_RUN.trace(0)
    for k in range(len(trace.step_list)):
        trace.state(k)
    return len(trace.step_list)


def first_trace() -> float:
    """Seconds of the first traced iteration of a run just built (no summary of its leaves made
    yet: traced_iteration's run has summarised its unchanging inputs once already, as a run
    stepped through iteration after iteration does)."""
    run = Run(RunSpec(preset="pytorch-numpy-two-layer", iterations=1), Limits())
    start = time.perf_counter()
    trace = run.trace(0)
    for k in range(len(trace.step_list)):
        trace.state(k)
    return time.perf_counter() - start


def raw_iteration() -> None:
    """One iteration of the seed loop on already drawn arrays."""
    leaves = SEED_RUN.leaves
    seed_iteration(leaves["x"], leaves["y"], leaves["w1"].copy(), leaves["w2"].copy())


#: the app in this process; main() enters it, so every request goes through one running event
#: loop as on a server (outside `with`, TestClient starts a loop thread for each request)
APP = TestClient(create_app(Settings()))
_FRESH = iter(range(1, 10**6))


def app_path(iterations: int) -> list[float]:
    """A user's path: POST a seed network never seen (a new seed), then GET its losses."""
    body = {"preset": "pytorch-numpy-two-layer", "iterations": iterations, "seed": next(_FRESH)}
    run_id = APP.post("/api/v1/runs", json=body).json()["run_id"]
    return APP.get(f"/api/v1/runs/{run_id}/losses").json()["losses"]


def document_sizes() -> None:
    seed = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits())
    trace = seed.trace(0)
    states = [present.encode_json(present.state_json(trace.state(k)))
              for k in range(len(trace.step_list))]
    print(f"state of one step of the seed network as JSON: max {max(map(len, states)) / 1024:.1f}"
          f" KiB, median {statistics.median(map(len, states)) / 1024:.1f} KiB over "
          f"{len(states)} steps")
    doc = present.encode_json(present.iteration_document(trace))
    print(f"iteration document of the seed network: {len(doc) / 1024:.1f} KiB, gzipped "
          f"{len(gzip.compress(doc, 6)) / 1024:.1f} KiB (target <= 64 KiB gzipped)")
    for layers, target in ((48, 1), (100, 2)):
        deep = Run(RunSpec(source=deep_mlp_source(layers), iterations=2), Limits())
        trace = deep.trace(0)
        sent = present.iteration_document(trace)
        doc = present.encode_json(sent)
        plain = len(present.encode_json(decode_iteration(sent)))
        states = ""
        if layers == 48:
            all_states = sum(len(present.encode_json(present.state_json(trace.state(k))))
                             for k in range(len(trace.step_list)))
            states = f"; all its states one by one: {all_states / 2**20:.0f} MiB"
        print(f"{layers}-layer tanh MLP ({len(deep.graph.order)} nodes, {len(trace.step_list)} "
              f"steps): iteration document {len(doc) / 2**20:.2f} MiB, gzipped "
              f"{len(gzip.compress(doc, 6)) / 1024:.0f} KiB (target <= {target} MiB "
              f"uncompressed: {'met' if len(doc) <= target * 2**20 else 'NOT met'}; decoded "
              f"{plain / 2**20:.2f} MiB, sent/decoded {len(doc) / plain:.2f}){states}")


def first_losses() -> tuple[float, float]:
    """Seconds to a cold 500-iteration run's first page of losses, and to its whole list (on
    another fresh run): POST, then GET."""
    times = []
    for query in ("?start=0&stop=16", ""):
        body = {"preset": "pytorch-numpy-two-layer", "iterations": ITERATIONS,
                "seed": next(_FRESH)}
        start = time.perf_counter()
        run_id = APP.post("/api/v1/runs", json=body).json()["run_id"]
        APP.get(f"/api/v1/runs/{run_id}/losses{query}").raise_for_status()
        times.append(time.perf_counter() - start)
    return times[0], times[1]


def check_gradients() -> float:
    """Seconds of the "Check gradients" panel's requests on a fresh seed run (both dtypes)."""
    body = {"preset": "pytorch-numpy-two-layer", "seed": next(_FRESH)}
    run_id = APP.post("/api/v1/runs", json=body).json()["run_id"]
    start = time.perf_counter()
    for query in ("", "?dtype=float32"):
        APP.get(f"/api/v1/runs/{run_id}/iterations/0/gradcheck{query}").raise_for_status()
    return time.perf_counter() - start


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def best_ratio(a, b, repeats=REPEATS) -> tuple[float, float, float]:
    """The fastest of a's and of b's times, interleaved; and their ratio."""
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(a())
        tb.append(b())
    ma, mb = min(ta), min(tb)
    return ma, mb, ma / mb


def main() -> None:
    with APP:
        measure()


def measure() -> None:
    assert np.allclose(engine_loop(20), raw_loop(20), rtol=1e-9)
    engine_t, raw_t, ratio = best_ratio(lambda: timed(engine_loop, ITERATIONS),
                                          lambda: timed(raw_loop, ITERATIONS))
    print(f"engine loop / raw numpy loop ({ITERATIONS} iterations): {ratio:.3f}  "
          f"(engine {engine_t * 1e3:.0f} ms, raw {raw_t * 1e3:.0f} ms; target <= 1.15)")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("engine loop / PyTorch autograd: skipped (torch not installed)")
    else:
        e, t, r = best_ratio(lambda: timed(engine_loop, ITERATIONS),
                               lambda: timed(torch_loop, ITERATIONS), repeats=3)
        print(f"engine loop / PyTorch CPU autograd ({ITERATIONS} iterations): {r:.3f}  "
              f"(engine {e * 1e3:.0f} ms, torch {t * 1e3:.0f} ms)")
    steps = traced_iteration()
    traced, raw1, r = best_ratio(lambda: timed(traced_iteration),
                                   lambda: timed(raw_iteration), repeats=15)
    first = min(first_trace() for _ in range(5))
    print(f"one traced iteration ({steps} steps, every state summarised) / one raw iteration: "
          f"{r:.2f}  (traced {traced * 1e3:.1f} ms, raw {raw1 * 1e3:.2f} ms; target <= 5; "
          f"a run's first trace {first * 1e3:.1f} ms, / raw {first / raw1:.2f})")
    app_t, raw_t, r = best_ratio(lambda: timed(app_path, ITERATIONS),
                                 lambda: timed(raw_loop, ITERATIONS), repeats=5)
    print(f"POST /runs (fresh seed network) + GET /losses through the app / raw loop "
          f"({ITERATIONS} iterations): {r:.3f}  (app {app_t * 1e3:.0f} ms, raw "
          f"{raw_t * 1e3:.0f} ms; target <= 1.10)")
    first, whole = (min(t) for t in zip(*(first_losses() for _ in range(3)), strict=True))
    print(f"cold {ITERATIONS}-iteration run, POST + first page of its losses: {first:.2f} s "
          f"(the whole list: {whole:.2f} s; target <= 1 s)")
    check = min(check_gradients() for _ in range(3))
    print(f"Check gradients on the seed preset (float64 + float32 at iteration 0, through the "
          f"app): {check:.2f} s, {check / raw1:.0f} raw iterations (target <= 1 s)")
    document_sizes()


if __name__ == "__main__":
    main()
