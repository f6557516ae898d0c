"""Layout benchmark: Gradwalk's layout (app/drawing/layout.py) against Graphviz `dot` on the same graphs.

For every preset, a hand-typed 6-layer MLP with an L2 penalty, the deep MLPs of bench/graphs.py
(10 to 100 layers, the largest about 500 nodes) and random graphs of 50 to 500 nodes, prints

- nodes, edges and layers,
- the time of one layout (cold: nothing cached, the fastest of three, wall and CPU; target
  ≤ 300 ms at 500 nodes), and of the same layout again (cached by the graph's content),
- edge crossings of Gradwalk's drawing and of dot's (`dot -Tplain`, rankdir=LR), both counted
  the same way: the drawn curves, sampled, as segments, a crossing wherever two edges that
  share no node intersect (target: Gradwalk ≤ dot),
- the nearest two node centres of one layer (no overlap: ≥ NODE_GAP).

Graphviz comes from Debian (`apt-get install graphviz`), for this bench and the tests only:
the app never calls it. A script, not a test: it asserts nothing, it prints.

    .venv/bin/python bench/layout.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from app.drawing import layout as drawing  # noqa: E402
from app.engine.core.limits import Limits  # noqa: E402
from app.engine.core.run import Run, RunSpec  # noqa: E402
from app.engine.presets import PRESETS  # noqa: E402
from bench.graphs import deep_mlp_source, l2_mlp_source, random_graph, rnn_source  # noqa: E402

TARGET_MS = 300.0
LIMITS = Limits(max_nodes=5000)


def graph_of(spec: RunSpec) -> dict:
    return Run(spec, LIMITS).describe()["graph"]


def cases(quick: bool) -> list[tuple[str, dict]]:
    out = [(f"preset {pid}", graph_of(RunSpec(preset=pid))) for pid in PRESETS]
    out.append(("6-layer MLP + L2 penalty", graph_of(RunSpec(source=l2_mlp_source(6)))))
    for layers in (10, 48) if quick else (10, 48, 100):
        out.append((f"{layers}-layer tanh MLP", graph_of(RunSpec(source=deep_mlp_source(layers),
                                                                  iterations=2))))
    for n in (50, 200) if quick else (50, 100, 200, 350, 500):
        out.append((f"random DAG {n}", random_graph(n, random.Random(n))))
    if not quick:  # long edges everywhere: the bends are bounded (ordering.MAX_BENDS)
        out.append(("unrolled RNN, 199 steps", graph_of(RunSpec(source=rnn_source(199),
                                                                  iterations=1))))
    return out


# ----- crossings of a drawing, counted from its curves -----


def _bezier(points: list[tuple[float, float]], samples: int = 8) -> list[tuple[float, float]]:
    """A cubic B-spline as Graphviz writes it (1 + 3k control points), sampled."""
    out = [points[0]]
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = (np.array(p) for p in points[i:i + 4])
        for t in np.linspace(0, 1, samples + 1)[1:]:
            q = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3
            out.append((float(q[0]), float(q[1])))
    return out


def curve_crossings(curves: list[tuple[str, str, list[tuple[float, float]]]]) -> int:
    """Intersections between the polylines of edges that share no node."""
    segs = []
    for k, (_, _, pts) in enumerate(curves):
        for a, b in zip(pts, pts[1:], strict=False):
            segs.append((k, a[0], a[1], b[0], b[1]))
    if not segs:
        return 0
    arr = np.array([seg[1:] for seg in segs])
    owner = np.array([seg[0] for seg in segs])
    ends = [{s, t} for s, t, _ in curves]
    x0, y0, x1, y1 = arr.T
    lo, hi = np.minimum(x0, x1), np.maximum(x0, x1)
    count = 0
    for i in range(len(segs)):
        j = np.arange(i + 1, len(segs))
        j = j[(lo[j] <= hi[i]) & (hi[j] >= lo[i]) & (owner[j] != owner[i])]
        if not len(j):
            continue
        d1 = _orient(x0[i], y0[i], x1[i], y1[i], x0[j], y0[j])
        d2 = _orient(x0[i], y0[i], x1[i], y1[i], x1[j], y1[j])
        d3 = _orient(x0[j], y0[j], x1[j], y1[j], x0[i], y0[i])
        d4 = _orient(x0[j], y0[j], x1[j], y1[j], x1[i], y1[i])
        hit = j[(d1 * d2 < 0) & (d3 * d4 < 0)]
        count += sum(1 for h in hit if not ends[owner[h]] & ends[owner[i]])
    return count


def _orient(ax, ay, bx, by, cx, cy):
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


def ours(graph: dict) -> tuple[int, dict]:
    placed = drawing.layout(graph)
    return curve_crossings([(e["source"], e["target"], [tuple(p) for p in e["points"]])
                            for e in placed["edges"]]), placed


#: seconds dot may take on one graph (on the 999-node unrolled RNN it takes more than 10 minutes)
DOT_SECONDS = 60


def dots(graph: dict) -> int | None:
    """Crossings of dot's drawing of the same graph (left to right, boxes of our aspect);
    None when dot takes longer than DOT_SECONDS."""
    lines = ["digraph G {", "rankdir=LR;", "node [shape=box, width=1.8, height=0.9];"]
    ids = {n["id"]: f"n{i}" for i, n in enumerate(graph["nodes"])}
    lines += [f"{ids[n['id']]};" for n in graph["nodes"]]
    lines += [f"{ids[e['source']]} -> {ids[e['target']]};" for e in graph["edges"]]
    lines.append("}")
    try:
        out = subprocess.run(["dot", "-Tplain"], input="\n".join(lines), capture_output=True,
                             text=True, check=True, timeout=DOT_SECONDS).stdout
    except subprocess.TimeoutExpired:
        return None
    back = {v: k for k, v in ids.items()}
    curves = []
    for row in out.splitlines():
        parts = row.split()
        if parts and parts[0] == "edge":
            k = int(parts[3])
            xy = [float(v) for v in parts[4:4 + 2 * k]]
            pts = list(zip(xy[::2], xy[1::2], strict=True))
            curves.append((back[parts[1]], back[parts[2]], _bezier(pts)))
    return curve_crossings(curves)


def nearest_in_layer(placed: dict) -> float:
    by_x: dict[float, list[float]] = {}
    for n in placed["nodes"]:
        by_x.setdefault(n["x"], []).append(n["y"])
    gaps = [b - a for ys in by_x.values() for a, b in zip(sorted(ys), sorted(ys)[1:], strict=False)]
    return min(gaps, default=float("inf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller graphs")
    args = parser.parse_args()
    have_dot = shutil.which("dot") is not None
    if not have_dot:
        print("dot is missing (apt-get install graphviz): crossings of dot are not compared")
    print(f"{'graph':34} {'nodes':>5} {'edges':>5} {'layers':>6} {'cold ms':>8} {'cpu ms':>7} "
          f"{'cached ms':>9} {'crossings':>9} {'dot':>5} {'min gap':>7}")
    worst = 0.0
    for name, graph in cases(args.quick):
        colds, cpus = [], []
        for _ in range(3):  # the least disturbed of three cold layouts (shared machines)
            drawing.geometry.cache_clear()
            started, cpu = time.perf_counter(), time.process_time()
            drawing.layout(graph)
            colds.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        cold, cpu = min(colds), min(cpus)
        started = time.perf_counter()
        drawing.layout(graph)
        warm = (time.perf_counter() - started) * 1000
        mine, placed = ours(graph)
        theirs = dots(graph) if have_dot else None
        slow = have_dot and theirs is None
        layers = len({n["x"] for n in placed["nodes"]})
        if len(graph["nodes"]) >= 450:
            worst = max(worst, cold)
        verdict = (f"dot took over {DOT_SECONDS} s" if slow else "" if theirs is None
                   else "ok" if mine <= theirs else "MORE THAN DOT")
        print(f"{name:34} {len(graph['nodes']):5} {len(graph['edges']):5} {layers:6} {cold:8.1f} "
              f"{cpu:7.1f} {warm:9.2f} {mine:9} {'-' if theirs is None else theirs:>5} "
              f"{nearest_in_layer(placed):7.0f} {verdict}")
    if worst:
        print(f"slowest cold layout of about 500 nodes: {worst:.0f} ms "
              f"(target ≤ {TARGET_MS:.0f} ms: {'ok' if worst <= TARGET_MS else 'OVER TARGET'})")


if __name__ == "__main__":
    main()
