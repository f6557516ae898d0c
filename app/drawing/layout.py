"""Where every node and edge of a graph is drawn: a layered (Sugiyama) drawing, left to right.

Four stages, each a small function:

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
from collections import deque
from functools import lru_cache

import igraph

#: pixels between layers (x) and between nodes of one layer (y), and around the drawing
LAYER_GAP = 160.0
NODE_GAP = 80.0
MARGIN = 60.0
#: the vertical room a bend point of a long edge takes in its layer (a node takes NODE_GAP)
BEND_GAP = 24.0
#: characters of a node's `short` label at most (what fits a node box)
SHORT_CHARS = 15
#: layouts kept, by graph content
CACHED_LAYOUTS = 256
#: bend points (dummy vertices) of one drawing at most. An edge spanning k layers takes k - 1,
#: so a value read all along a long chain (an unrolled RNN's shared weights) would take a
#: number quadratic in the nodes — 121,000 at 999 nodes, 15 s of ordering and a 2.7 MB
#: document. Past this budget the longest edges are drawn straight, with no bends (they keep
#: no room in the layers they cross and take no part in the ordering).
MAX_BENDS = 4_000
#: moves of the layering, sweeps of the ordering and of the coordinates at most
LAYERING_MOVES = 400
ORDER_SWEEPS = 24
#: sweeps without fewer crossings after which the ordering stops
ORDER_PATIENCE = 6
COORDINATE_SWEEPS = 8


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


# ----- 2. order -----


class _Layered:
    """The graph with a dummy vertex wherever an edge crosses a layer: every edge joins two
    neighbouring layers. `chains[e]` is edge e's vertices from source to target."""

    def __init__(self, n: int, edges: list[tuple[int, int]], layer: list[int]):
        self.real = n
        self.layer = list(layer)
        self.chains: list[list[int]] = []
        # the shortest edges get their bends first, within MAX_BENDS; the others are straight
        bent, bends = set(), 0
        for e in sorted(range(len(edges)), key=lambda e: (layer[edges[e][1]] - layer[edges[e][0]], e)):
            bends += layer[edges[e][1]] - layer[edges[e][0]] - 1
            if bends > MAX_BENDS:
                break
            bent.add(e)
        for e, (s, t) in enumerate(edges):
            chain = [s]
            for between in range(layer[s] + 1, layer[t]) if e in bent else ():
                self.layer.append(between)
                chain.append(len(self.layer) - 1)
            chain.append(t)
            self.chains.append(chain)
        size = len(self.layer)
        self.down: list[list[int]] = [[] for _ in range(size)]  # neighbours in the next layer
        self.up: list[list[int]] = [[] for _ in range(size)]  # neighbours in the layer before
        for chain in self.chains:
            for a, b in zip(chain, chain[1:], strict=False):
                if self.layer[b] - self.layer[a] == 1:  # a straight long edge joins no layers
                    self.down[a].append(b)
                    self.up[b].append(a)
        self.layers: list[list[int]] = [[] for _ in range(max(layer, default=-1) + 1)]
        for v, x in enumerate(self.layer):
            self.layers[x].append(v)

    def is_dummy(self, v: int) -> bool:
        return v >= self.real


def _inversions(sequence: list[int]) -> int:
    """Pairs i < j with sequence[i] > sequence[j] (a Fenwick tree: n log n)."""
    size = max(sequence, default=0) + 2
    tree = [0] * (size + 1)
    count = 0
    for seen, value in enumerate(sequence):
        i = value + 1
        below = 0
        while i > 0:
            below += tree[i]
            i -= i & -i
        count += seen - below
        i = value + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


def _crossings_between(upper: list[int], lower_pos: dict[int, int] | list[int],
                       down: list[list[int]]) -> int:
    pairs = sorted((i, lower_pos[w]) for i, v in enumerate(upper) for w in down[v])
    return _inversions([p for _, p in pairs])


def _crossings(g: _Layered, order: list[list[int]], pos: list[int]) -> int:
    return sum(_crossings_between(order[x], pos, g.down) for x in range(len(order) - 1))


def _median(values: list[int]) -> float:
    values = sorted(values)
    m = len(values) // 2
    if len(values) % 2:
        return float(values[m])
    if len(values) == 2:
        return (values[0] + values[1]) / 2
    left, right = values[m - 1] - values[0], values[-1] - values[m]
    if left + right == 0:
        return (values[m - 1] + values[m]) / 2
    return (values[m - 1] * right + values[m] * left) / (left + right)


def _sweep(g: _Layered, order: list[list[int]], pos: list[int], downward: bool) -> None:
    """Reorder each layer by the median position of its neighbours in the layer before it."""
    layers = range(1, len(order)) if downward else range(len(order) - 2, -1, -1)
    for x in layers:
        fixed = g.up if downward else g.down
        keyed = []
        for i, v in enumerate(order[x]):
            near = [pos[w] for w in fixed[v]]
            keyed.append((_median(near) if near else None, i, v))
        # a vertex with no neighbours there keeps its place; the others sort around it
        movable = sorted((k, i, v) for k, i, v in keyed if k is not None)
        slots = iter(movable)
        order[x] = [v if k is None else next(slots)[2] for k, i, v in keyed]
        for i, v in enumerate(order[x]):
            pos[v] = i


def _pair_crossings(u: int, v: int, up: list[list[int]], down: list[list[int]],
                    pos: list[int]) -> tuple[int, int]:
    """Crossings among the edges of u and v with both neighbouring layers: with u above v,
    and with v above u (one pass for both)."""
    now = swapped = 0
    for near in (up, down):
        others = [pos[b] for b in near[v]]
        if others:
            for a in near[u]:
                pa = pos[a]
                for pb in others:
                    if pa > pb:
                        now += 1
                    elif pa < pb:
                        swapped += 1
    return now, swapped


def _transpose(g: _Layered, order: list[list[int]], pos: list[int], ties: bool) -> None:
    """Swap neighbours of a layer while that removes crossings (`ties`: also when it changes
    nothing, which lets the next sweep out of a local minimum). Only the layers next to one
    that changed are looked at again."""
    up, down = g.up, g.down
    dirty = set(range(len(order)))
    rounds = 0
    while dirty and rounds < 8:
        rounds += 1
        changed = set()
        for x in sorted(dirty):
            row = order[x]
            for i in range(len(row) - 1):
                u, v = row[i], row[i + 1]
                now, swapped = _pair_crossings(u, v, up, down, pos)
                if now > swapped or (ties and now == swapped and now):
                    row[i], row[i + 1] = v, u
                    pos[u], pos[v] = i + 1, i
                    if now > swapped:
                        changed.add(x)
        dirty = {y for x in changed for y in (x - 1, x, x + 1) if 0 <= y < len(order)}


def _depth_first(g: _Layered, backward: bool = False) -> list[list[int]]:
    """The layers in the order a depth-first walk from the sources (`backward`: from the sinks,
    against the edges) meets their vertices: the start of `dot`'s ordering, which keeps a
    chain and its side branches together."""
    ahead, behind = (g.up, g.down) if backward else (g.down, g.up)
    roots = range(len(g.layer) - 1, -1, -1) if backward else range(len(g.layer))
    seen = [False] * len(g.layer)
    rows: list[list[int]] = [[] for _ in g.layers]
    for root in roots:
        if seen[root] or behind[root]:
            continue
        stack = [root]
        while stack:
            v = stack.pop()
            if seen[v]:
                continue
            seen[v] = True
            rows[g.layer[v]].append(v)
            stack.extend(reversed(ahead[v]))
    return rows


def _breadth_first(g: _Layered) -> list[list[int]]:
    """The layers in the order a breadth-first walk from the sources meets their vertices,
    both ways along the edges (successors first): `dot`'s own start (`build_ranks`)."""
    seen = [False] * len(g.layer)
    rows: list[list[int]] = [[] for _ in g.layers]
    for root in range(len(g.layer)):
        if seen[root] or g.up[root]:
            continue
        seen[root] = True
        queue = deque([root])
        while queue:
            v = queue.popleft()
            rows[g.layer[v]].append(v)
            for w in g.down[v] + g.up[v]:
                if not seen[w]:
                    seen[w] = True
                    queue.append(w)
    return rows


def _ordering(g: _Layered) -> list[list[int]]:
    """Each layer's vertices top to bottom: the fewest crossings of three starts, each improved
    by sweeps (a forward and a backward depth-first reading, and dot's breadth-first one)."""
    found = [_improved(g, _depth_first(g)), _improved(g, _depth_first(g, backward=True)),
             _improved(g, _breadth_first(g))]
    return min(found, key=lambda pair: pair[1])[0]


def _improved(g: _Layered, order: list[list[int]]) -> tuple[list[list[int]], int]:
    """`order` after median sweeps and swaps, the best found and its crossings."""
    pos = [0] * len(g.layer)
    for row in order:
        for i, v in enumerate(row):
            pos[v] = i
    best = [list(row) for row in order]
    fewest = _crossings(g, order, pos)
    stale = 0
    for sweep in range(ORDER_SWEEPS):
        if not fewest or stale >= ORDER_PATIENCE:
            break
        _sweep(g, order, pos, downward=sweep % 2 == 0)
        _transpose(g, order, pos, ties=sweep % 4 >= 2)
        found = _crossings(g, order, pos)
        if found < fewest:
            best, fewest, stale = [list(row) for row in order], found, 0
        else:
            stale += 1
    return best, fewest


# ----- 3. coordinates -----


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence closest to `targets` in weighted least squares (pool
    adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for t, w in zip(targets, weights, strict=True):
        blocks.append([t, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * count)
    return out


def _coordinates(g: _Layered, order: list[list[int]]) -> list[float]:
    """Position of every vertex along its layer: order kept, gaps kept, edges straightened."""
    half = [BEND_GAP / 2 if g.is_dummy(v) else NODE_GAP / 2 for v in range(len(g.layer))]
    offsets = []
    for row in order:
        at, off = 0.0, []
        for i, v in enumerate(row):
            if i:
                at += half[row[i - 1]] + half[v]
            off.append(at)
        offsets.append(off)
    y = [0.0] * len(g.layer)
    for row, off in zip(order, offsets, strict=True):
        for v, o in zip(row, off, strict=True):
            y[v] = o
    # a bend is pulled harder than a node: long edges run straight
    weight = [3.0 if g.is_dummy(v) else 1.0 for v in range(len(g.layer))]
    for sweep in range(COORDINATE_SWEEPS):
        rows = range(len(order)) if sweep % 2 == 0 else range(len(order) - 1, -1, -1)
        for x in rows:
            row, off = order[x], offsets[x]
            if not row:
                continue
            wanted = []
            for v in row:
                near = g.up[v] + g.down[v]
                wanted.append(sum(y[w] for w in near) / len(near) if near else y[v])
            fitted = _isotonic([w - o for w, o in zip(wanted, off, strict=True)],
                               [weight[v] for v in row])
            for v, f, o in zip(row, fitted, off, strict=True):
                y[v] = f + o
    low = min(y, default=0.0)
    return [v - low for v in y]


# ----- 4. short labels -----


def _elisions(label: str, limit: int) -> list[str]:
    """Ways to cut `label` to `limit` characters, the most of its beginning first."""
    if len(label) <= limit:
        return [label]
    out = [label[: limit - 1] + "…"]
    for tail in range(3, limit - 2):
        out.append(label[: limit - 1 - tail] + "…" + label[-tail:])
    out.append("…" + label[-(limit - 1):])
    return out


def short_labels(labels: list[str], ids: list[str], lines: list[int | None],
                 limit: int = SHORT_CHARS, alike: frozenset[int] = frozenset()) -> list[str]:
    """A label of at most `limit` characters per node, no two alike: a long label is cut in
    the middle where that tells it apart, keeping its distinguishing end; labels equal in
    full are told apart by their line, else their id — except the nodes `alike` (constants:
    two 1s are both "1")."""
    choices = [_elisions(label, limit) for label in labels]
    picked = [0] * len(labels)
    while True:
        shown = [c[p] if p < len(c) else None for c, p in zip(choices, picked, strict=True)]
        seen: dict[str, list[int]] = {}
        for i, s in enumerate(shown):
            if s is not None:
                seen.setdefault(s, []).append(i)
        clashes = [i for group in seen.values() if len(group) > 1 for i in group
                   if picked[i] < len(choices[i])]
        # a label that fits clashes only with a cut one: the cut one moves on
        movable = [i for i in clashes if len(choices[i]) > 1]
        if not movable:
            break
        for i in movable:
            picked[i] += 1
    out = [c[min(p, len(c) - 1)] for c, p in zip(choices, picked, strict=True)]
    twins: dict[str, list[int]] = {}
    for i, s in enumerate(out):
        twins.setdefault(s, []).append(i)
    taken = set(out)
    for i, s in enumerate(out):
        if len(twins[s]) == 1 or (i in alike and s == labels[i]):
            continue
        # the line tells twins apart when no twin shares it (`stack([E[3], E[1], E[3]])`
        # does not); else the id
        own_line = lines[i] and sum(lines[j] == lines[i] for j in twins[s]) == 1
        for mark in ([f"L{lines[i]}"] if own_line else []) + [ids[i]]:
            candidate = _elisions(labels[i], limit - len(mark) - 1)[0] + " " + mark
            if len(candidate) <= limit and candidate not in taken:
                break
        else:
            candidate = "…" + ids[i][-(limit - 1):]
            # two long ids may end alike (`…zzzzzzzzz_tail` twice): then a number tells them
            count = 0
            while candidate in taken:
                count += 1
                candidate = f"{_elisions(labels[i], limit - len(str(count)) - 2)[0]} #{count}"
        out[i] = candidate
        taken.add(candidate)
    return out


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
    g = _Layered(len(nodes), pairs, layer)
    y = _coordinates(g, _ordering(g))

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
