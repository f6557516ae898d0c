"""Symbolic differentiation benchmark: SymPy's derivative against the tape, sizes and seconds.

Prints, for deep-tanh (width 2, batch 1) at depth 1 … 8 and for every preset at sizes within the
bounds (the engine tests' SMALL):
- the derivative's nodes written out, after CSE, and the tape's operations for the whole
  gradient, and how much faster the expression grows than the tape over the depths (target:
  at least 10×; after CSE within a small factor of the tape);
- the seconds of one answer as the route computes it (write, differentiate, CSE, evaluate),
  wall clock and this process's CPU time (the machine is shared: the wall clock grows with the
  load, the CPU time much less), and the ratio symbolic / the tape's reverse sweep (target:
  each answer within the bounds ≤ 2 s on this machine).

A script, not a test: it asserts nothing, it prints.

    .venv/bin/python bench/symbolic.py [--max-depth 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.core.limits import Limits  # noqa: E402
from app.engine.core.run import Run, RunSpec  # noqa: E402
from app.engine.instruments import swell  # noqa: E402
from tests.engine.instruments.test_symbolic import SMALL  # noqa: E402  (the presets at sizes the tests use)


def answer(preset: str, params: dict) -> tuple[swell.SymbolicDerivative, float, float]:
    """The route's answer for ∂loss/∂(first element), its wall-clock and CPU seconds."""
    run = Run(RunSpec(preset=preset, params=params), Limits())
    wrt, index = swell.first_element(run.graph)
    start, cpu = time.perf_counter(), time.process_time()
    found = swell.derivative(run.graph, run.leaves, wrt, index, Limits())
    return found, time.perf_counter() - start, time.process_time() - cpu


def line(label: str, found: swell.SymbolicDerivative, total: float, cpu: float) -> str:
    s, sec = found.sizes, found.seconds
    symbolic = sec["write"] + sec["differentiate"] + sec["cse"] + sec["evaluate"]
    return (f"{label:<34} {s.expression:>8} {s.with_cse:>7} {s.tape_ops:>5} "
            f"{s.expression / s.tape_ops:>9.1f} {s.with_cse / s.tape_ops:>7.1f} "
            f"{total:>8.3f} {cpu:>6.3f} {symbolic / max(sec['reverse'], 1e-9):>12.0f} "
            f"{found.rel_error:>9.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-depth", type=int, default=8)
    args = parser.parse_args()
    print(f"{'case':<34} {'written':>8} {'CSE':>7} {'tape':>5} {'written/':>9} {'CSE/':>7} "
          f"{'answer s':>8} {'cpu s':>6} {'symb/reverse':>12} {'rel.err':>9}")
    print(f"{'':<34} {'nodes':>8} {'nodes':>7} {'ops':>5} {'tape':>9} {'tape':>7}")
    first = last = None
    slowest = slowest_cpu = 0.0
    for depth in range(1, args.max_depth + 1):
        found, total, cpu = answer("deep-tanh", {"depth": depth, "width": 2, "N": 1})
        print(line(f"deep-tanh depth {depth}", found, total, cpu), flush=True)
        first = first or found.sizes
        last = found.sizes
        slowest, slowest_cpu = max(slowest, total), max(slowest_cpu, cpu)
    growth = (last.expression / first.expression) / (last.tape_ops / first.tape_ops)
    print(f"\ndepth 1 → {args.max_depth}: written out ×{last.expression / first.expression:.0f}, "
          f"tape ×{last.tape_ops / first.tape_ops:.1f}: the expression grows {growth:.0f}× "
          f"faster; after CSE {first.with_cse / first.tape_ops:.1f}… "
          f"{last.with_cse / last.tape_ops:.1f}× the tape\n")
    for preset, params in sorted(SMALL.items()):
        found, total, cpu = answer(preset, params)
        print(line(preset, found, total, cpu), flush=True)
        slowest, slowest_cpu = max(slowest, total), max(slowest_cpu, cpu)
    print(f"\nslowest answer: {slowest:.2f} s wall clock, {slowest_cpu:.2f} s CPU "
          f"(target ≤ 2 s within the bounds; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
