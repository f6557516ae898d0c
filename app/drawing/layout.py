"""Where every node and edge of a graph is drawn: a layered (Sugiyama) drawing, left to right.

Four stages, each a small function (the order is ordering.py's, the short labels labels.py's):

1. **Layers** (columns): the layering with the shortest total edge length in which every edge
   points right and the loss is alone in the rightmost layer. Leaves start just before their
   first consumer; then whole sets of nodes move right while that shortens more edges than it
   lengthens — the best such set is a maximum-weight closure, one minimum cut (python-igraph's
   `mincut`) per move. So a leaf always ends just before its first consumer, and a side branch
   (an L2 penalty `sum(W6 ** 2)`) sits next to the leaf it reads instead of dragging the leaf
   to the first column with an edge across the whole graph.
2. **Order** within each layer: an edge spanning several layers gets one dummy vertex per layer
   it crosses (its bend points); from two depth-first readings of the graph and dot's
   breadth-first one, median sweeps and adjacent swaps (Gansner et al.'s `dot` heuristics)
   reduce edge crossings, and the order with the fewest crossings counted is kept.
3. **Coordinates**: x is the layer; within a layer the order is kept with at least NODE_GAP
   between two nodes (less next to a bend), each vertex pulled towards the mean of its
   neighbours — the closest positions in the least-squares sense, by isotonic regression — so
   long edges run straight and no two nodes overlap.
4. **Short labels**: every node gets `short`, at most SHORT_CHARS characters and distinct from
   every other node's; an elided label keeps its distinguishing end (`sum(W1…(W3 ** 2)`).

Deterministic and pure: the result depends only on the graph's content, and the geometry is
cached by that content (`layout` is safe to call from worker threads). No math of the engine
here, no HTTP.
"""

from __future__ import annotations

import heapq
import json
from functools import lru_cache

import igraph

from app.drawing.labels import short_labels
from app.drawing.ordering import Layered, ordering

#: pixels between layers (x) and between nodes of one layer (y), and around the drawing
LAYER_GAP = 160.0
NODE_GAP = 80.0
MARGIN = 60.0
#: the vertical room a bend point of a long edge takes in its layer (a node takes NODE_GAP)
BEND_GAP = 24.0
#: moves of the layering and sweeps of the coordinates at most
LAYERING_MOVES = 400
COORDINATE_SWEEPS = 8
#: layouts kept, by graph content
CACHED_LAYOUTS = 256


# ----- 1. layers -----


def _adjacency(n: int, edges: list[tuple[int, int]]) -> tuple[list[list[int]], list[list[int]]]:
    outs: list[list[int]] = [[] for _ in range(n)]
    ins: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        outs[s].append(t)
        ins[t].append(s)
    return outs, ins


def _topological(n: int, outs: list[list[int]], ins: list[list[int]]) -> list[int]:
    """Kahn's order, ties in declaration order (a graph's nodes usually already are)."""
    missing = [len(set(i)) for i in ins]
    ready = [v for v in range(n) if not missing[v]]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        v = heapq.heappop(ready)
        order.append(v)
        for t in dict.fromkeys(outs[v]):
            missing[t] -= 1
            if not missing[t]:
                heapq.heappush(ready, t)
    if len(order) != n:
        raise ValueError("the graph has a cycle: it cannot be drawn left to right")
    return order


def _layering(n: int, edges: list[tuple[int, int]], loss: int | None) -> list[int]:
    """Layer of every vertex: edges point right, total edge length as short as found, the
    loss alone and last."""
    outs, ins = _adjacency(n, edges)
    order = _topological(n, outs, ins)
    layer = [0] * n
    for v in order:  # longest path from the leaves
        if ins[v]:
            layer[v] = 1 + max(layer[s] for s in ins[v])
    for v in reversed(order):  # leaves wait for their first consumer
        if not ins[v] and outs[v]:
            layer[v] = min(layer[t] for t in outs[v]) - 1
    _shorten(n, edges, outs, ins, layer)
    if loss is not None:
        others = [layer[v] for v in range(n) if v != loss]
        layer[loss] = max([layer[loss], *(x + 1 for x in others)])
    low = min(layer, default=0)
    return [x - low for x in layer]


def _shorten(n: int, edges: list[tuple[int, int]], outs: list[list[int]],
             ins: list[list[int]], layer: list[int]) -> None:
    """Move sets of vertices right while the total edge length falls.

    Moving a set S right by one layer shortens the edges leaving it and lengthens those
    entering it: its gain is the sum over S of (out-degree − in-degree). S must take along
    every vertex a tight edge (length 1) leads to. The best S is a maximum-weight closure
    under tight edges: the source side of a minimum s-t cut. It moves as far as the slack of
    the edges leaving it allows; the loop ends when no set gains.
    """
    weight = [len(outs[v]) - len(ins[v]) for v in range(n)]
    infinite = float(sum(abs(w) for w in weight) + 1)
    source, sink = n, n + 1
    terminals = [(source, v) if w > 0 else (v, sink) for v, w in enumerate(weight) if w]
    capacities = [float(abs(w)) for w in weight if w]
    for _ in range(LAYERING_MOVES):
        tight = [(s, t) for s, t in edges if layer[t] - layer[s] == 1]
        flow = igraph.Graph(n=n + 2, edges=tight + terminals, directed=True)
        cut = flow.mincut(source=source, target=sink,
                          capacity=[infinite] * len(tight) + capacities)
        chosen = set(cut.partition[0])
        chosen.discard(source)
        if sum(weight[v] for v in chosen) <= 0:
            return
        slack = [layer[t] - layer[s] - 1 for s, t in edges if s in chosen and t not in chosen]
        if not slack or min(slack) <= 0:
            return
        step = min(slack)
        for v in chosen:
            layer[v] += step


# ----- 3. coordinates -----


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence closest to `targets` in weighted least squares (pool
    adjacent violators). Blocks as three lists (mean, weight, count): the hottest loop of a
    drawing."""
    means: list[float] = []
    masses: list[float] = []
    counts: list[int] = []
    for mean, mass in zip(targets, weights, strict=True):
        count = 1
        while means and means[-1] > mean:  # pool with the block before
            before, before_mass = means.pop(), masses.pop()
            mean = (before * before_mass + mean * mass) / (before_mass + mass)
            mass = before_mass + mass
            count += counts.pop()
        means.append(mean)
        masses.append(mass)
        counts.append(count)
    out: list[float] = []
    for mean, count in zip(means, counts, strict=True):
        out += [mean] * count
    return out


def _coordinates(g: Layered, order: list[list[int]]) -> list[float]:
    """Position of every vertex along its layer: order kept, gaps kept, edges straightened."""
    size = len(g.layer)
    half = [BEND_GAP / 2 if g.is_dummy(v) else NODE_GAP / 2 for v in range(size)]
    offsets = []
    for row in order:
        at, off = 0.0, []
        for i, v in enumerate(row):
            if i:
                at += half[row[i - 1]] + half[v]
            off.append(at)
        offsets.append(off)
    y = [0.0] * size
    for row, off in zip(order, offsets, strict=True):
        for v, o in zip(row, off, strict=True):
            y[v] = o
    # a bend is pulled harder than a node: long edges run straight
    weight = [3.0 if g.is_dummy(v) else 1.0 for v in range(size)]
    near = [g.up[v] + g.down[v] for v in range(size)]
    # per layer, what every sweep reads: its vertices, their offsets, neighbours and weights
    rows = [(row, off, [near[v] for v in row], [weight[v] for v in row])
            for row, off in zip(order, offsets, strict=True)]
    for sweep in range(COORDINATE_SWEEPS):
        for row, off, nears, weights in rows if sweep % 2 == 0 else reversed(rows):
            if not row:
                continue
            targets = [(sum([y[w] for w in others]) / len(others) if others else y[v]) - o
                       for v, others, o in zip(row, nears, off, strict=True)]
            fitted = _isotonic(targets, weights) if len(row) > 1 else targets  # one: itself
            for v, f, o in zip(row, fitted, off, strict=True):
                y[v] = f + o
    low = min(y, default=0.0)
    return [v - low for v in y]


# ----- the whole drawing -----


def content(graph: dict) -> str:
    """What the drawing depends on, as one string: the cache key."""
    return json.dumps([
        graph.get("loss"),
        [[n["id"], n.get("label", n["id"]), n.get("line"), n.get("kind") == "const"]
         for n in graph["nodes"]],
        [[e["source"], e["target"]] for e in graph["edges"]],
    ], ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=CACHED_LAYOUTS)
def geometry(content: str) -> tuple:
    """(node positions, edge polylines, shorts, width, height) of a graph's content (the
    string `layout` makes of it: what the drawing depends on; app/api/drawings.py draws it in
    another process)."""
    loss, nodes, edges = json.loads(content)
    index = {nid: i for i, (nid, *_) in enumerate(nodes)}
    pairs = [(index[s], index[t]) for s, t in edges]
    layer = _layering(len(nodes), pairs, index.get(loss))
    g = Layered(len(nodes), pairs, layer)
    y = _coordinates(g, ordering(g))

    def point(v: int) -> tuple[float, float]:
        return (round(MARGIN + g.layer[v] * LAYER_GAP, 2), round(MARGIN + y[v], 2))

    positions = tuple(point(v) for v in range(len(nodes)))
    polylines = tuple(tuple(point(v) for v in chain) for chain in g.chains)
    shorts = tuple(short_labels([n[1] for n in nodes], [n[0] for n in nodes],
                                [n[2] for n in nodes],
                                alike=frozenset(i for i, n in enumerate(nodes) if n[3])))
    width = max((x for x, _ in positions), default=0.0) + MARGIN
    height = max((b for _, b in (point(v) for v in range(len(g.layer)))), default=0.0) + MARGIN
    return positions, polylines, shorts, round(width, 2), round(height, 2)


def layers_of(graph: dict) -> dict[str, int]:
    """Layer (column) index of every node id."""
    nodes = graph["nodes"]
    index = {node["id"]: i for i, node in enumerate(nodes)}
    pairs = [(index[e["source"]], index[e["target"]]) for e in graph["edges"]]
    layer = _layering(len(nodes), pairs, index.get(graph.get("loss")))
    return {node["id"]: layer[i] for i, node in enumerate(nodes)}


def layout(graph: dict, draw=geometry) -> dict:
    """The graph dict with `x`, `y`, `short` on each node, `points` on each edge, `width`,
    `height`. The input is not changed; equal graphs give equal drawings. `draw`: where the
    geometry is computed (app/api/drawings.py's pool, or here)."""
    positions, polylines, shorts, width, height = draw(content(graph))
    placed_nodes = [{**node, "x": x, "y": y, "short": short}
                    for node, (x, y), short in zip(graph["nodes"], positions, shorts, strict=True)]
    placed_edges = [{**edge, "points": [list(p) for p in points]}
                    for edge, points in zip(graph["edges"], polylines, strict=True)]
    return {**graph, "width": width, "height": height, "nodes": placed_nodes,
            "edges": placed_edges}
