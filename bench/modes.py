"""Forward vs reverse mode on the seed network: ratios against one forward pass, same process.

Prints
- one JVP sweep (values and tangents together) / one forward pass (goal ≤ 2.5),
- one reverse sweep (forward + backward) / one forward pass (goal ≤ 3),
- the whole gradient of the loss by forward mode (one sweep per parameter element) / by reverse
  mode (one sweep), timed in full on the full preset when that takes under a minute, else on a
  smaller size (said so).
All on the engine's own tape with summaries off; the fastest of several interleaved repeats.
A script, not a test: it asserts nothing, it prints.

    .venv/bin/python bench/modes.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# bench/ holds http.py, which would shadow the standard library's http: run from the repo root.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

from app.engine.core.limits import Limits  # noqa: E402
from app.engine.core.run import Run, RunSpec  # noqa: E402
from app.engine.core.schedule import Schedule  # noqa: E402
from app.engine.core.tape import Tape  # noqa: E402

REPEATS = 15


def sweeps(run: Run):
    graph, leaves = run.graph, run.leaves
    forward_only = Schedule(graph)
    forward_only.events = [e for e in forward_only.events if e.phase in ("load", "forward")]
    reverse = Schedule(graph, [p.id for p in graph.parameters])
    reverse.events = [e for e in reverse.events if e.phase != "update"]
    tangent = Schedule.forward_mode(graph, "w1")
    return {
        "forward pass": lambda: Tape(forward_only, leaves, 0.0, summaries=False),
        "JVP sweep": lambda: Tape(tangent, leaves, 0.0, ("w1", (3, 7)), summaries=False),
        "reverse sweep": lambda: Tape(reverse, leaves, 0.0, summaries=False),
    }


def fastest(fns: dict, repeats: int = REPEATS) -> dict[str, float]:
    best = dict.fromkeys(fns, float("inf"))
    with np.errstate(all="ignore"):
        for _ in range(repeats):
            for name, fn in fns.items():
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def whole_gradient(run: Run) -> tuple[float, float, int]:
    """Seconds for every gradient entry by forward mode (all sweeps) and by reverse mode."""
    graph, leaves = run.graph, run.leaves
    params = [p.id for p in graph.parameters]
    schedules = {p: Schedule.forward_mode(graph, p) for p in params}
    reverse = Schedule(graph, params)
    reverse.events = [e for e in reverse.events if e.phase != "update"]
    count = 0
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        for p in params:
            for index in np.ndindex(*graph.nodes[p].shape):
                Tape(schedules[p], leaves, 0.0, (p, index), summaries=False)
                count += 1
        forward = time.perf_counter() - start
        start = time.perf_counter()
        Tape(reverse, leaves, 0.0, summaries=False)
    return forward, time.perf_counter() - start, count


def main() -> None:
    run = Run(RunSpec(preset="pytorch-numpy-two-layer"), Limits())
    times = fastest(sweeps(run))
    base = times["forward pass"]
    print(f"seed network: one forward pass {base * 1e3:.2f} ms")
    print(f"one JVP sweep / one forward pass: {times['JVP sweep'] / base:.2f}  (goal <= 2.5)")
    print(f"one reverse sweep (forward + backward) / one forward pass: "
          f"{times['reverse sweep'] / base:.2f}  (goal <= 3)")
    inputs = sum(p.size for p in run.graph.parameters)
    estimate = inputs * times["JVP sweep"]
    if estimate < 60:
        label, target = "the full preset", run
    else:
        target = Run(RunSpec(preset="pytorch-numpy-two-layer",
                             params={"D_in": 100, "H": 50}), Limits())
        label = (f"a smaller size (D_in 100, H 50: the full preset's {inputs:,} sweeps "
                 f"would take about {estimate:.0f} s)")
    forward, reverse, count = whole_gradient(target)
    print(f"whole gradient on {label}: forward mode {count:,} sweeps {forward:.2f} s / reverse "
          f"mode 1 sweep {reverse * 1e3:.2f} ms = {forward / reverse:,.0f}x")


if __name__ == "__main__":
    main()
