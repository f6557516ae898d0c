"""Layer normalisation as an older ONNX exporter writes it, found and read back as one op.

Before opset 17 PyTorch's exporter spells `nn.LayerNorm` as nine nodes: ReduceMean, Sub, Pow 2,
ReduceMean, Add eps, Sqrt, Div, then Mul by the weight and Add of the bias. `layer_norms` finds
that chain (each inner value read only inside it, the means over the same last axes, kept) so
the translation writes the registry's `layer_norm(x, (d,), w, b, eps=…)` once instead of nine
elementary lines. A chain that differs in any way is left alone: its nodes are written one by
one, with the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import numpy_helper


@dataclass
class LayerNorm:
    x: str  # the ONNX value normalised
    dims: list[int]  # the sizes of its last axes, normalised over
    eps: float
    weight: str | None = None  # initialisers
    bias: str | None = None


@dataclass
class Found:
    #: output value of the chain's last node -> the layer norm it writes
    last: dict[str, LayerNorm] = field(default_factory=dict)
    #: output values of the chain's other nodes: not written
    inner: set[str] = field(default_factory=set)
    weights: set[str] = field(default_factory=set)
    biases: set[str] = field(default_factory=set)


def shortest_float(value) -> float:
    """A float32 as the shortest decimal that is it (1e-05, not 9.99999974737875e-06)."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


class _Graph:
    def __init__(self, graph, shapes: dict[str, list[int]]):
        self.shapes = shapes
        self.producer = {o: n for n in graph.node for o in n.output}
        self.readers: dict[str, list] = {}
        for n in graph.node:
            for i in n.input:
                self.readers.setdefault(i, []).append(n)
        for o in graph.output:
            self.readers.setdefault(o.name, []).append(None)
        self.values = {i.name: numpy_helper.to_array(i) for i in graph.initializer
                       if np.prod(i.dims) <= 64}
        self.initializers = {i.name: list(i.dims) for i in graph.initializer}
        for n in graph.node:
            if n.op_type == "Constant":
                t = next((a.t for a in n.attribute if a.name == "value"), None)
                if t is not None and np.prod(t.dims) <= 64:
                    self.values[n.output[0]] = numpy_helper.to_array(t)

    def made(self, value: str, op_type: str):
        node = self.producer.get(value)
        return node if node is not None and node.op_type == op_type else None

    def only_reader(self, value: str):
        readers = self.readers.get(value, [])
        return readers[0] if len(readers) == 1 else None

    def number(self, value: str):
        v = self.values.get(value)
        return None if v is None or v.size != 1 else float(v.reshape(()))

    def mean_axes(self, node, x: str):
        """The axes a ReduceMean of `x` keeps, modulo x's rank; None if it is not one."""
        if node is None or node.input[0] != x:
            return None
        at = {a.name: a for a in node.attribute}
        if "keepdims" in at and at["keepdims"].i == 0:
            return None
        axes = list(at["axes"].ints) if "axes" in at else (
            [int(a) for a in self.values[node.input[1]].reshape(-1)]
            if len(node.input) > 1 and node.input[1] in self.values else None)
        rank = len(self.shapes.get(x, []))
        return None if not axes or not rank else sorted(a % rank for a in axes)


def layer_norms(graph, shapes: dict[str, list[int]]) -> Found:
    g = _Graph(graph, shapes)
    found = Found()
    for div in graph.node:
        if div.op_type != "Div":
            continue
        sub, sqrt = g.made(div.input[0], "Sub"), g.made(div.input[1], "Sqrt")
        if sub is None or sqrt is None:
            continue
        x = sub.input[0]
        mean = g.made(sub.input[1], "ReduceMean")
        add = g.made(sqrt.input[0], "Add")
        if mean is None or add is None:
            continue
        var, eps = next(((g.made(a, "ReduceMean"), g.number(b)) for a, b in
                         (add.input, reversed(add.input)) if g.number(b) is not None),
                        (None, None))
        square = g.made(var.input[0], "Pow") if var is not None else None
        if square is None or square.input[0] != sub.output[0] \
                or g.number(square.input[1]) != 2.0:
            continue
        axes = g.mean_axes(mean, x)
        rank = len(shapes.get(x, []))
        if axes is None or axes != g.mean_axes(var, square.output[0]) \
                or axes != list(range(rank - len(axes), rank)):
            continue
        inner = [mean, sub, square, var, add, sqrt]
        readers = {mean.output[0]: [sub], sub.output[0]: [square, div],
                   square.output[0]: [var], var.output[0]: [add], add.output[0]: [sqrt],
                   sqrt.output[0]: [div]}
        if any(sorted(map(id, g.readers.get(v, []))) != sorted(map(id, want))
               for v, want in readers.items()):
            continue
        dims = shapes[x][rank - len(axes):]
        norm, chain = LayerNorm(x, dims, shortest_float(eps)), [div]
        for op_type, slot in (("Mul", "weight"), ("Add", "bias")):
            node = g.only_reader(chain[-1].output[0])
            tensor = _affine(g, node, op_type, chain[-1].output[0], dims)
            if tensor is None:
                break
            setattr(norm, slot, tensor)
            (found.weights if slot == "weight" else found.biases).add(tensor)
            chain.append(node)
        found.inner.update(n.output[0] for n in inner + chain[:-1])
        found.last[chain[-1].output[0]] = norm
    return found


def _affine(g: _Graph, node, op_type: str, value: str, dims):
    """The initialiser of shape `dims` that `node` (a Mul or Add of `value`) applies."""
    if node is None or node.op_type != op_type or len(node.input) != 2:
        return None
    other = node.input[1] if node.input[0] == value else node.input[0]
    return other if g.initializers.get(other) == list(dims) else None
