"""Graph and Node: leaves, constants and op nodes, their edges, validation and order.

A Graph is built by the expression language and never changes afterwards. Nodes are kept in
declaration order, which is a topological order (a name is defined before it is used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from app.engine.core.errors import LimitError, SourceError
from app.engine.core.limits import Limits
from app.engine.ops.registry import Op, get_op


@dataclass(frozen=True)
class Node:
    id: str
    #: "input" (not trained), "param" (trained by SGD), "const" or "op"
    kind: str
    #: the user's name, or the source text of a nested sub-expression
    label: str
    shape: tuple[int, ...]
    line: int
    column: int
    op: str | None = None
    inputs: tuple[str, ...] = ()
    #: op attributes (axis, keepdims, exponent p)
    attrs: dict = field(default_factory=dict)
    #: leaves: how the value is made: {"dist": "normal"|"onehot"|"bernoulli"|"value", ...}
    init: dict = field(default_factory=dict)
    #: whether the user named it (an assignment) rather than a nested sub-expression
    named: bool = False
    #: the source text of the expression that computes it (ops), each name written as the
    #: node it reads (`h_2 @ W_1` where h and W were rebound or indexed in a loop)
    expr: str = ""
    #: the `with group("…"):` blocks it was written in, outermost first
    groups: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return prod(self.shape)

    @property
    def is_leaf(self) -> bool:
        return self.kind != "op"


@dataclass(frozen=True)
class Edge:
    id: str
    #: the input node
    source: str
    #: the consumer node
    target: str
    #: position of source among the target's inputs
    index: int


class Graph:
    """A validated computational graph whose last node is a scalar loss."""

    def __init__(self, nodes: list[Node], loss: str, limits: Limits,
                 custom: dict[str, Op] | None = None, outputs: list[str] | None = None):
        """`outputs`: more nodes the graph is for besides `loss` (a custom backward returns
        one gradient per argument); with them, leaves need not all be used."""
        #: ops the source defines (`def name(x): return …`), by name, in definition order
        self.custom: dict[str, Op] = custom if custom is not None else {}
        #: the source's definitions (app.engine.language.custom.Definition), in order
        self.definitions: list = []
        #: the groups found in a large graph typed without any (app.engine.language.repeats), in order
        self.found_groups: list[str] = []
        self.outputs = list(outputs or [])
        self.nodes: dict[str, Node] = {n.id: n for n in nodes}
        self.order: list[str] = [n.id for n in nodes]
        self.loss = loss
        self.edges: list[Edge] = []
        self.edges_in: dict[str, list[Edge]] = {n.id: [] for n in nodes}
        self.edges_out: dict[str, list[Edge]] = {n.id: [] for n in nodes}
        for node in nodes:
            for index, source in enumerate(node.inputs):
                edge = Edge(f"e{len(self.edges)}", source, node.id, index)
                self.edges.append(edge)
                self.edges_in[node.id].append(edge)
                self.edges_out[source].append(edge)
        self._validate(limits)
        if loss not in self.depending_on(n.id for n in nodes if n.kind in ("input", "param")):
            n = self.nodes[loss]
            raise SourceError(
                f"the loss {loss!r} depends on no input or parameter: nothing to differentiate",
                n.line, n.column,
            )

    def _validate(self, limits: Limits) -> None:
        if len(self.nodes) > limits.max_nodes:
            raise LimitError("max_nodes", limits.max_nodes, len(self.nodes), "(nodes in the graph)")
        total = sum(n.size for n in self.nodes.values())
        if total > limits.max_total_elements:
            raise LimitError(
                "max_total_elements", limits.max_total_elements, total,
                "(elements over all node values)",
            )
        seen: set[str] = set()
        for nid in self.order:
            node = self.nodes[nid]
            assert all(i in seen for i in node.inputs), f"{nid} used before it is defined"
            if node.kind == "op":
                op = self.op(nid)
                assert op.arity < 0 or len(node.inputs) == op.arity, \
                    f"{node.op} takes {op.arity} inputs"
            seen.add(nid)
        used = {self.loss, *self.outputs}
        for nid in reversed(self.order):
            if nid in used:
                used.update(self.nodes[nid].inputs)
        for nid in self.order:
            if nid not in used and not (self.outputs and self.nodes[nid].is_leaf):
                n = self.nodes[nid]
                raise SourceError(
                    f"{n.label!r} is never used by the loss {self.loss!r} (the last assignment); "
                    "use it or remove it", n.line, n.column,
                )

    def op(self, nid: str) -> Op:
        """The rule of op node `nid`: the registry's, or a custom op the source defined."""
        name = self.nodes[nid].op
        return self.custom[name] if name in self.custom else get_op(name)

    @property
    def ops(self) -> list[Node]:
        return [self.nodes[i] for i in self.order if self.nodes[i].kind == "op"]

    @property
    def parameters(self) -> list[Node]:
        """The leaves SGD trains (`param(...)`)."""
        return [self.nodes[i] for i in self.order if self.nodes[i].kind == "param"]

    def ancestors(self, nid: str) -> set[str]:
        """`nid` and every node it is computed from."""
        found = {nid}
        for other in reversed(self.order):
            if other in found:
                found.update(self.nodes[other].inputs)
        return found

    def depending_on(self, sources) -> set[str]:
        """The nodes in `sources` and every node computed from one of them."""
        found = set(sources)
        for nid in self.order:
            if nid not in found and any(i in found for i in self.nodes[nid].inputs):
                found.add(nid)
        return found

    def to_dict(self) -> dict:
        """The graph as JSON-ready data (no coordinates: layout adds those)."""
        return {
            "loss": self.loss,
            "nodes": [
                {
                    "id": n.id, "label": n.label, "kind": n.kind, "op": n.op,
                    "inputs": list(n.inputs), "shape": list(n.shape), "line": n.line,
                    "attrs": {k: v for k, v in n.attrs.items()},
                    "groups": list(n.groups),
                }
                for n in (self.nodes[i] for i in self.order)
            ],
            "edges": [
                {"id": e.id, "source": e.source, "target": e.target, "index": e.index}
                for e in self.edges
            ],
            "found_groups": list(self.found_groups),
        }
