"""Every op's forward as a formula of scalars, and a graph written out element by element.

Symbolic differentiation (D2L 4.7's third way) writes the loss as one expression of the leaf
elements and differentiates the expression. This module writes it: `FORWARD` maps each op of
the registry (ops/) to its forward, stated once over any *algebra* of scalars; `expand` walks
a graph and gives every node an array (numpy, dtype object) of scalar expressions, one per
element, through matmul, broadcasting, reductions and indexing. There is no derivative here
and nowhere but the op registry: SymPy derives (swell.py).

Two algebras (algebras.py) read the same table: `SympyAlgebra` builds SymPy expressions (the
work), and `Tally` only counts what they would be — nodes of the expression tree, so a request is
bounded before SymPy is asked for anything (the elements never hold a formula).
An op without a formula here is a `MissingFormulaError` (a 422 naming the op), never a silent
wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy

from app.engine.core.errors import SourceError
from app.engine.core.graph import Graph
from app.engine.core.shapes import index_key
from app.engine.core.tape import forward as numeric_forward
from app.engine.instruments.algebras import TallyAlgebra
from app.engine.ops.registry import get_op
from app.engine.ops.windows import flatten, pair


class MissingFormulaError(SourceError):
    """An op whose forward has no symbolic formula: refused by name."""


# ----- Arrays of scalars -----

def _array(x) -> np.ndarray:
    """`x` as an object array (numpy gives a 0-d result back as a bare scalar)."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return x
    out = np.empty(np.shape(x), dtype=object)
    out[...] = x
    return out


def _each(f: Callable, *arrays) -> np.ndarray:
    """f applied elementwise, with numpy's broadcasting."""
    return _array(np.frompyfunc(f, len(arrays), 1)(*arrays))


def _reduce(a: np.ndarray, axis, keepdims: bool, combine: Callable) -> np.ndarray:
    """`combine(list of elements)` over `axis` (None: all), numpy's axis and keepdims."""
    a = _array(a)
    axes = tuple(range(a.ndim)) if axis is None else \
        tuple(x % a.ndim for x in (axis if isinstance(axis, tuple) else (axis,)))
    kept = [i for i in range(a.ndim) if i not in axes]
    moved = np.moveaxis(a, axes, range(a.ndim - len(axes), a.ndim)) if axes else a
    rows = moved.reshape([a.shape[i] for i in kept] + [-1])
    out = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(*out.shape):
        out[index] = combine(list(rows[index]))
    if keepdims:
        out = out.reshape([1 if i in axes else n for i, n in enumerate(a.shape)])
    return out


def _matmul(A, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """numpy's matmul: 1-D operands promoted, batch axes broadcast; each element one sum."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    products = _each(lambda x, y: x * y, a2[..., :, :, None], b2[..., None, :, :])
    out = _reduce(products, -2, False, A.add)
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return _array(out)


# ----- The table: each op's forward, over an algebra A -----
# f(A, args, values, **attrs): args are the inputs' element arrays, values their numbers
# (only an index-valued input reads them: cross_entropy's labels)

def _unary(f: Callable) -> Callable:
    return lambda A, args, values, **attrs: _each(lambda x: f(A, x, **attrs), args[0])


def _binary(f: Callable) -> Callable:
    return lambda A, args, values, **attrs: _each(lambda x, y: f(A, x, y), *args)


def _reduction(f: Callable) -> Callable:
    """A reduction `f(A, elements)` with numpy's axis and keepdims."""
    return lambda A, args, values, axis=None, keepdims=False: \
        _reduce(args[0], axis, keepdims, lambda terms: f(A, terms))


def _mean(A, terms):
    return A.add(terms) / A.number(len(terms))


def _var(A, terms):
    mean = _mean(A, terms)
    return _mean(A, [(t - mean) ** A.number(2) for t in terms])


def _logsumexp(A, a, axis, keepdims):
    return _each(lambda s: A.call("log", s),
                 _reduce(_each(lambda x: A.call("exp", x), a), axis, keepdims, A.add))


def _softmax(A, args, values, axis=-1):
    e = _each(lambda x: A.call("exp", x), args[0])
    return _each(lambda x, s: x / s, e, _reduce(e, axis, True, A.add))


def _log_softmax(A, args, values, axis=-1):
    return _each(lambda x, s: x - s, args[0], _logsumexp(A, args[0], axis, True))


def _cross_entropy(A, args, values):
    logits, labels = args[0], values[1].astype(np.intp)
    lse = _logsumexp(A, logits, 1, False)
    return _array(_mean(A, [lse[n] - logits[n, labels[n]] for n in range(len(labels))]))


def _sigmoid(A, x):
    return A.number(1) / (A.number(1) + A.call("exp", -x))


def _clip(A, x, min=-1.0, max=1.0):
    lo, hi = A.number(min), A.number(max)
    return A.positive(lo - x, lo, A.positive(x - hi, hi, x))


def _normalized(A, x, axes, eps):
    """(x − mean) / √(var + eps) over `axes` (numpy's var), element by element."""
    mean = _reduce(x, axes, True, lambda terms: _mean(A, terms))
    std = _reduce(x, axes, True, lambda terms: A.call("sqrt", _var(A, terms) + A.number(eps)))
    return _each(lambda v, m, s: (v - m) / s, x, mean, std)


def _batch_norm(A, args, values, eps=1e-5):
    x, w, b = args
    channel = lambda v: v if v.ndim == 0 else v.reshape(v.shape + (1,) * (x.ndim - 2))  # noqa: E731
    hat = _normalized(A, x, (0, *range(2, x.ndim)), eps)
    return _each(lambda h, wi, bi: h * wi + bi, hat, channel(w), channel(b))


def _layer_norm(A, args, values, normalized_shape=(), eps=1e-5):
    x, w, b = args
    hat = _normalized(A, x, tuple(range(x.ndim - len(normalized_shape), x.ndim)), eps)
    return _each(lambda h, wi, bi: h * wi + bi, hat, w, b)


def _window(size, u: int, v: int, kernel, stride, padding, dilation) -> list[tuple]:
    """(i, j, r, s): kernel position (i, j) of output (u, v)'s window reads element (r, s) of
    an input of `size` (H, W); a position over the padding is left out (a zero, or for max
    pooling a −∞ that never wins)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel, stride, padding, dilation))
    return [(i, j, u * sh + i * dh - ph, v * sw + j * dw - pw) for i in range(kh)
            for j in range(kw) if 0 <= u * sh + i * dh - ph < size[0]
            and 0 <= v * sw + j * dw - pw < size[1]]


def _conv2d(A, args, values, stride=1, padding=0, dilation=1):
    x, w, b = args
    out = np.empty(get_op("conv2d").shape(x.shape, w.shape, b.shape, stride=stride,
                                          padding=padding, dilation=dilation), dtype=object)
    for n, o, u, v in np.ndindex(*out.shape):
        out[n, o, u, v] = A.add([x[n, c, r, s] * w[o, c, i, j] for c in range(x.shape[1])
                                 for i, j, r, s in _window(x.shape[2:], u, v, w.shape[2:],
                                                           stride, padding, dilation)]
                                + [b[()] if b.ndim == 0 else b[o]])
    return out


def _pool(name: str, combine: Callable) -> Callable:
    """A pooling: `combine(A, window's elements, kh·kw)` per output element."""
    def forward(A, args, values, kernel_size=2, stride=None, padding=0):
        x = args[0]
        out = np.empty(get_op(name).shape(x.shape, kernel_size, stride, padding), dtype=object)
        steps = kernel_size if stride is None else stride
        for n, c, u, v in np.ndindex(*out.shape):
            out[n, c, u, v] = combine(A, [x[n, c, r, s] for _, _, r, s in _window(
                x.shape[2:], u, v, kernel_size, steps, padding, 1)], np.prod(pair(kernel_size)))
        return out
    return forward


FORWARD: dict[str, Callable] = {
    # ----- binary elementwise (numpy broadcasting) -----
    "add": _binary(lambda A, x, y: x + y),
    "sub": _binary(lambda A, x, y: x - y),
    "mul": _binary(lambda A, x, y: x * y),
    "div": _binary(lambda A, x, y: x / y),
    "power": _binary(lambda A, x, y: x ** y),
    "maximum": _binary(lambda A, x, y: A.max([x, y])),
    "minimum": _binary(lambda A, x, y: A.min([x, y])),
    # ----- unary elementwise -----
    "neg": _unary(lambda A, x: -x),
    "pow": _unary(lambda A, x, p=2.0: x ** A.number(p)),
    "square": _unary(lambda A, x: x ** A.number(2)),
    "relu": _unary(lambda A, x: A.positive(x, x, A.number(0))),
    "leaky_relu": _unary(lambda A, x, slope=0.01: A.positive(x, x, A.number(slope) * x)),
    "elu": _unary(lambda A, x, alpha=1.0:
                  A.positive(x, x, A.number(alpha) * (A.call("exp", x) - A.number(1)))),
    "sigmoid": _unary(_sigmoid),
    "tanh": _unary(lambda A, x: A.call("tanh", x)),
    "exp": _unary(lambda A, x: A.call("exp", x)),
    "log": _unary(lambda A, x: A.call("log", x)),
    "sqrt": _unary(lambda A, x: A.call("sqrt", x)),
    "abs": _unary(lambda A, x: A.call("abs", x)),
    "sin": _unary(lambda A, x: A.call("sin", x)),
    "cos": _unary(lambda A, x: A.call("cos", x)),
    "softplus": _unary(lambda A, x: A.call("log", A.number(1) + A.call("exp", x))),
    "log1p": _unary(lambda A, x: A.call("log", A.number(1) + x)),
    "expm1": _unary(lambda A, x: A.call("exp", x) - A.number(1)),
    "log_sigmoid": _unary(lambda A, x: -A.call("log", A.number(1) + A.call("exp", -x))),
    "gelu": _unary(lambda A, x: x * (A.number(1) + A.call("erf", x / A.call("sqrt", A.number(2))))
                   / A.number(2)),
    "clip": _unary(_clip),
    "softsign": _unary(lambda A, x: x / (A.number(1) + A.call("abs", x))),
    # ----- reductions -----
    "sum": _reduction(lambda A, terms: A.add(terms)),
    "mean": _reduction(_mean),
    "prod": _reduction(lambda A, terms: A.mul(terms)),
    "max": _reduction(lambda A, terms: A.max(terms)),
    "min": _reduction(lambda A, terms: A.min(terms)),
    "var": _reduction(_var),
    "std": _reduction(lambda A, terms: A.call("sqrt", _var(A, terms))),
    "norm": _reduction(lambda A, terms: A.call("sqrt", A.add([t ** A.number(2) for t in terms]))),
    "logsumexp": lambda A, args, values, axis=None, keepdims=False:
        _logsumexp(A, args[0], axis, keepdims),
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "cross_entropy": _cross_entropy,
    "embedding": lambda A, args, values: _array(args[1][values[0].astype(np.intp)]),
    "dropout": _binary(lambda A, x, m: x * m),  # the mask: its numbers
    "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
    "conv2d": _conv2d,
    # avg_pool2d counts the padding (PyTorch's default): kh·kw divides every window
    "max_pool2d": _pool("max_pool2d", lambda A, terms, count: A.max(terms)),
    "avg_pool2d": _pool("avg_pool2d", lambda A, terms, count: A.add(terms) / A.number(count)),
    # ----- structure: the same elements, rearranged -----
    "matmul": lambda A, args, values: _matmul(A, *args),
    "matmul_nd": lambda A, args, values: _matmul(A, *args),
    "transpose": lambda A, args, values: _array(args[0].T),
    "index": lambda A, args, values, key=":": _array(args[0][index_key(key)]),
    "reshape": lambda A, args, values, shape=(): _array(np.reshape(args[0], shape)),
    "flatten": lambda A, args, values, start_dim=0, end_dim=-1:
        _array(flatten(args[0], start_dim, end_dim)),
    "concatenate": lambda A, args, values, axis=0, n=2: _array(np.concatenate(args, axis=axis)),
    "stack": lambda A, args, values, axis=0, n=2: _array(np.stack(args, axis=axis)),
}


# ----- A graph, element by element -----

def differentiable(graph: Graph) -> list[str]:
    """The leaves a derivative can be asked for: inputs and parameters (not labels or
    constants)."""
    return [n for n in graph.order if graph.nodes[n].kind in ("input", "param")]


def leaf_symbols(graph: Graph) -> dict[str, np.ndarray]:
    """One real SymPy symbol per element of every input and parameter, named as a Python
    identifier (w1_0_3). Real: SymPy then knows tanh(…) is real without splitting it into
    real and imaginary parts (4 to 7 times faster), and |x|′ is sign(x)."""
    out, taken = {}, set()
    for leaf in differentiable(graph):
        shape = graph.nodes[leaf].shape
        array = np.empty(shape, dtype=object)
        for index in np.ndindex(*shape):
            name = "_".join([leaf, *map(str, index)])
            while name in taken:  # w_0 [1] and w [0, 1]: both would be w_0_1
                name += "_"
            taken.add(name)
            array[index] = sympy.Symbol(name, real=True)
        out[leaf] = array
    return out


def expand(graph: Graph, leaves: dict[str, np.ndarray], algebra,
           symbols: dict[str, np.ndarray] | None = None,
           definitions: dict | None = None) -> dict[str, np.ndarray]:
    """Every node of `graph` as an array of scalars of `algebra`: the leaves `symbols` (or,
    tallied, one node each), constants and labels their numbers, each op its FORWARD, each op
    the source defines its definition (`definitions`: those of the graphs around this one)."""
    definitions = {**(definitions or {}), **{d.name: d for d in graph.definitions}}
    values = dict(leaves)
    elements: dict[str, np.ndarray] = {}
    for nid in graph.order:
        node = graph.nodes[nid]
        if node.kind != "op":
            if node.kind in ("input", "param"):
                elements[nid] = symbols[nid] if symbols is not None else \
                    np.full(node.shape, TallyAlgebra.ONE, dtype=object)
            else:
                elements[nid] = _each(algebra.number, np.asarray(values[nid]))
            continue
        if nid not in values:
            values[nid] = numeric_forward(graph, values, nid)
        args = [elements[i] for i in node.inputs]
        elements[nid] = _apply(graph, nid, algebra, args, [values[i] for i in node.inputs],
                               definitions)
    return elements


def _apply(graph: Graph, nid: str, algebra, args: list, values: list,
           definitions: dict) -> np.ndarray:
    node = graph.nodes[nid]
    if node.op in definitions:  # a definition of the source: its own graph, written out
        definition = definitions[node.op]
        inner = definition.instantiate(tuple(np.shape(v) for v in values))
        bound = dict(zip(definition.args, values, strict=True))
        for cid in inner.order:
            if inner.nodes[cid].kind == "const":
                bound[cid] = np.array(inner.nodes[cid].init["value"], dtype=np.float64)
        given = dict(zip(definition.args, args, strict=True))
        return expand(inner, bound, algebra, given, definitions)[inner.loss]
    rule = FORWARD.get(node.op)
    if rule is None:
        raise MissingFormulaError(
            f"the op {node.op!r} has no symbolic formula (app/engine/instruments/symbolic.py FORWARD), "
            f"so the loss cannot be written out; ops with one: {', '.join(sorted(FORWARD))}",
            node.line, node.column)
    return _array(rule(algebra, args, values, **{**graph.op(nid).attrs, **node.attrs}))
