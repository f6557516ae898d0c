"""Groups found in a large graph typed without any: the same block of statements repeated.

A 100-layer MLP typed as 100 copies of `w = param…; b = param…; h = tanh(h @ w + b)` has no
`with group("…"):` block, so nothing folds it and the viewer shows 505 nodes at once. Here a
block is a run of consecutive nodes (declaration order) and two blocks are the same when node
by node they have the same kind, op, attributes and shape, and their inputs are wired alike: an
input inside the block is the same position in both, an input outside it is outside in both
(the chain from one layer to the next, or a tensor every layer reads). Where a block repeats at
least MIN_REPEATS times in a row, each copy becomes a group: "layer 1", "layer 2"… for the
longest run, "<its ops> 1"… for any other. Groups the user wrote always win: a source with one
`with group` block, or a loop (which groups its passes), gets none found. No math, no HTTP.
"""

from __future__ import annotations

import dataclasses

from app.engine.core.graph import Node
from app.engine.language.groups import MAX_GROUP_CHARS, MAX_GROUPS

#: graphs with more nodes than this get groups found (the viewer folds groups from this size:
#: static/js/groups.js, COLLAPSE_ABOVE_NODES); a smaller one reads whole
FIND_ABOVE_NODES = 60
#: a block is found when it repeats at least this many times in a row
MIN_REPEATS = 3
#: the longest block looked for, in nodes
MAX_BLOCK = 24


@dataclasses.dataclass(frozen=True)
class Run:
    """`repeats` copies of a block of `length` nodes, the first starting at node `start`."""
    start: int
    length: int
    repeats: int

    @property
    def end(self) -> int:
        return self.start + self.length * self.repeats


def find_runs(nodes: list[Node]) -> list[Run]:
    """The repeated blocks, largest first (most nodes covered; then the shorter block, then
    the earlier), none overlapping another."""
    where = {node.id: i for i, node in enumerate(nodes)}
    kinds = [(n.kind, n.op, repr(sorted(n.attrs.items())), n.shape) for n in nodes]
    inputs = [tuple(where[i] for i in n.inputs) for n in nodes]
    runs: list[Run] = []
    spans = [(0, len(nodes))]
    while spans:
        best = max((run for a, b in spans for run in _runs_in(kinds, inputs, nodes, a, b)),
                   key=lambda r: (r.length * r.repeats, -r.length, -r.start), default=None)
        if best is None:
            break
        runs.append(best)
        spans = [(a, b) for a, b in _split(spans, best) if b - a >= 2 * MIN_REPEATS]
    return runs


def _runs_in(kinds, inputs, nodes, a: int, b: int):
    """For every block length, the longest run of each start inside nodes[a:b] (at least
    MIN_REPEATS copies of a block holding an op)."""
    for length in range(2, min(MAX_BLOCK, (b - a) // MIN_REPEATS) + 1):
        # unequal[p]: how many of nodes a..p-1 differ in kind, op or shape from the node
        # `length` after them; a block can equal the next only where none of its nodes does
        unequal = [0]
        for p in range(a, b - length):
            unequal.append(unequal[-1] + (kinds[p] != kinds[p + length]
                                          or len(inputs[p]) != len(inputs[p + length])))

        def same_as_next(s, length=length, unequal=unequal):
            if s + 2 * length > b or unequal[s + length - a] != unequal[s - a]:
                return False
            for p in range(s, s + length):
                for q, r in zip(inputs[p], inputs[p + length], strict=True):
                    if (q - s if q >= s else -1) != (r - s - length if r >= s + length else -1):
                        return False
            return True

        count: dict[int, int] = {}
        for s in reversed(range(a, b - length + 1)):
            count[s] = 1 + count[s + length] if same_as_next(s) else 1
        for s, repeats in count.items():
            head = s - length < a or not same_as_next(s - length)  # not inside a longer run
            if repeats >= MIN_REPEATS and head and any(
                    nodes[p].kind == "op" for p in range(s, s + length)):
                yield Run(s, length, repeats)


def _split(spans, run: Run):
    for a, b in spans:
        if run.start >= b or run.end <= a:
            yield a, b
        else:
            yield a, run.start
            yield run.end, b


def with_found_groups(nodes: list[Node]) -> tuple[list[Node], list[str]]:
    """`nodes` with the groups found put on them, and the names of those groups (in order);
    unchanged when the graph is small, has groups already, or repeats nothing."""
    if len(nodes) <= FIND_ABOVE_NODES or any(n.groups for n in nodes):
        return nodes, []
    runs = sorted(find_runs(nodes), key=lambda r: -r.length * r.repeats)
    taken: set[str] = set()
    out = list(nodes)
    names: list[tuple[int, str]] = []
    for i, run in enumerate(runs):
        if len(taken) + run.repeats > MAX_GROUPS:
            continue
        stem = "layer" if i == 0 else _pattern(nodes[run.start:run.start + run.length])
        for j in range(run.repeats):
            name = _unique(f"{stem} {j + 1}", taken)
            taken.add(name)
            first = run.start + j * run.length
            names.append((first, name))
            for p in range(first, first + run.length):
                out[p] = dataclasses.replace(out[p], groups=(name,))
    return out, [name for _, name in sorted(names)]


def _pattern(block: list[Node]) -> str:
    """A block's ops in order, each once: "matmul add tanh"."""
    ops = " ".join(dict.fromkeys(n.op for n in block if n.op))
    return ops[:MAX_GROUP_CHARS - 6].rstrip()


def _unique(name: str, used: set[str]) -> str:
    """`name`, or `name (2)`… when another group has it (a node's id has no space: never)."""
    found, n = name, 1
    while found in used:
        n += 1
        found = f"{name} ({n})"
    return found
