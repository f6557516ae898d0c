"""Stage 2 of a drawing (layout.py): the order of the vertices within each layer.

An edge spanning several layers gets one dummy vertex per layer it crosses (its bend points,
within MAX_BENDS); from two depth-first readings of the graph and dot's breadth-first one,
median sweeps and adjacent swaps (Gansner et al.'s `dot` heuristics) reduce edge crossings,
and the order with the fewest crossings counted is kept.
"""

from __future__ import annotations

from collections import deque

#: bend points (dummy vertices) of one drawing at most. An edge spanning k layers takes k - 1,
#: so a value read all along a long chain (an unrolled RNN's shared weights) would take a
#: number quadratic in the nodes — 121,000 at 999 nodes, 15 s of ordering and a 2.7 MB
#: document. Past this budget the longest edges are drawn straight, with no bends (they keep
#: no room in the layers they cross and take no part in the ordering).
MAX_BENDS = 4_000
#: sweeps of the ordering at most, and without fewer crossings after which it stops
ORDER_SWEEPS = 24
ORDER_PATIENCE = 6


class Layered:
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


def _crossings(g: Layered, order: list[list[int]], pos: list[int]) -> int:
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


def _sweep(g: Layered, order: list[list[int]], pos: list[int], downward: bool) -> None:
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


def _transpose(g: Layered, order: list[list[int]], pos: list[int], ties: bool) -> None:
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


def _depth_first(g: Layered, backward: bool = False) -> list[list[int]]:
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


def _breadth_first(g: Layered) -> list[list[int]]:
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


def ordering(g: Layered) -> list[list[int]]:
    """Each layer's vertices top to bottom: the fewest crossings of three starts, each improved
    by sweeps (a forward and a backward depth-first reading, and dot's breadth-first one)."""
    found = [_improved(g, _depth_first(g)), _improved(g, _depth_first(g, backward=True)),
             _improved(g, _breadth_first(g))]
    return min(found, key=lambda pair: pair[1])[0]


def _improved(g: Layered, order: list[list[int]]) -> tuple[list[list[int]], int]:
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
