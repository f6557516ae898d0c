"""Forward and VJP rules for every op, with their LaTeX and numpy code. No tracing, no HTTP.

This table is the only place in Gradwalk that knows a derivative. Each entry holds, next to each
other: the forward (numpy), the VJP `vjp(g, out, *inputs, **attrs)` returning one gradient per
input, the shape rule, the LaTeX of the op and of its local derivative per input, and the numpy
code of its forward and backward statements (which the exported script runs, so the code and
the VJP must compute the same thing in the same order). `saves` names what the VJP reads from
the forward pass: the memory ledger of D2L 4.7 counts exactly those tensors.

Broadcasting is numpy's: `apply_vjp` reduces each gradient back to its input's shape, and
`reduce_code` writes the same reduction as numpy code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """Inputs whose shapes the op cannot take; the message names the shapes."""


class MissingRuleError(NotImplementedError):
    """An op without a rule: a loud error, never a silent zero."""


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    forward: Callable[..., np.ndarray]
    #: per input, vjp(g, out, *inputs, **attrs) -> its gradient contribution (apply_vjp reduces
    #: it to the input's shape); one rule per input, as autograd's defvjp, so a gradient
    #: nobody needs is never computed
    vjp: tuple[Callable[..., np.ndarray], ...]
    #: shape(*input_shapes, **attrs) -> output shape, or ShapeError
    shape: Callable[..., Shape]
    #: LaTeX of the op: {0} {1} are the inputs, attributes by name
    latex: str
    #: per input, LaTeX of the local derivative d(out)/d(input); {out} is the output
    local: tuple[str, ...]
    #: per input, LaTeX of the contribution to the input's gradient; {g} is the upstream gradient
    contrib: tuple[str, ...]
    #: numpy expression of the forward
    code: str
    #: per input, numpy expression of the contribution; {g} names the upstream gradient
    code_vjp: tuple[str, ...]
    #: what the VJP reads: "out" and/or input positions "0", "1"
    saves: frozenset[str]
    #: keyword attributes the op takes, with defaults
    attrs: dict = field(default_factory=dict)
    #: extra template values computed from the attributes
    fmt: Callable[..., dict] = lambda **attrs: {}
    #: binary elementwise with numpy broadcasting: a contribution has the output's shape and
    #: is summed back to the input's (every other op's VJP gives the input's shape itself)
    broadcasts: bool = False


REGISTRY: dict[str, Op] = {}


def register(op: Op) -> Op:
    assert len(op.vjp) == len(op.local) == len(op.contrib) == len(op.code_vjp) == op.arity, op.name
    REGISTRY[op.name] = op
    return op


def get_op(name: str) -> Op:
    try:
        return REGISTRY[name]
    except KeyError:
        raise MissingRuleError(f"VJP of {name!r} not defined; known ops: {sorted(REGISTRY)}") from None


# ----- Broadcasting -----

def reduce_axes(from_shape: Shape, to_shape: Shape) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Axes to sum so a gradient of `from_shape` gets `to_shape`: (leading axes, kept axes)."""
    lead = len(from_shape) - len(to_shape)
    leading = tuple(range(lead))
    kept = tuple(
        i + lead for i, n in enumerate(to_shape) if n == 1 and from_shape[i + lead] != 1
    )
    return leading, kept


def reduce_to(grad: np.ndarray, shape: Shape) -> np.ndarray:
    """Sum a broadcast gradient back to the input's shape (numpy broadcasting, reversed)."""
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape == shape:
        return grad
    if grad.ndim < len(shape) or np.broadcast_shapes(grad.shape, shape) != grad.shape:
        return np.broadcast_to(grad, shape).copy() if grad.size == 1 else _bad(grad, shape)
    leading, kept = reduce_axes(grad.shape, shape)
    if kept:
        grad = grad.sum(axis=kept, keepdims=True)
    if leading:
        grad = grad.sum(axis=leading)
    return grad.reshape(shape)


def reduce_code(expr: str, from_shape: Shape, to_shape: Shape) -> str:
    """The numpy code of `reduce_to` for these shapes (empty reduction: the expression itself)."""
    if from_shape == to_shape:
        return expr
    leading, kept = reduce_axes(from_shape, to_shape)
    code = f"({expr})"
    if kept:
        code += f".sum(axis={_axis_literal(kept)}, keepdims=True)"
    if leading:
        code += f".sum(axis={_axis_literal(leading)})"
    return code


def _axis_literal(axes: tuple[int, ...]) -> str:
    return str(axes[0]) if len(axes) == 1 else str(axes)


def _bad(grad: np.ndarray, shape: Shape):
    raise ShapeError(f"a gradient of shape {grad.shape} cannot be reduced to {shape}")


def apply_vjp(op: Op, g, out, inputs: list, attrs: dict, index: int) -> np.ndarray:
    """The contribution of `g` to the gradient of input `index`, reduced to its shape."""
    grad = op.vjp[index](g, out, *inputs, **attrs)
    return reduce_to(grad, np.shape(inputs[index]))


def render(template: str, fmt: dict, inputs: list[str], **names: str) -> str:
    """Fill a LaTeX or code template: attribute values first, then input and other names."""
    for key, value in fmt.items():
        template = template.replace("{" + key + "}", value)
    return template.format(*inputs, **names)


# ----- Shape rules -----

def _same(*shapes: Shape, **_) -> Shape:
    return shapes[0]


def _broadcast(a: Shape, b: Shape, **_) -> Shape:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ShapeError(f"shapes {a} and {b} cannot be broadcast together") from None


def _matmul_shape(a: Shape, b: Shape, **_) -> Shape:
    if len(a) != 2 or len(b) != 2:
        raise ShapeError(f"@ takes two 2-D tensors, got shapes {a} and {b}")
    if a[1] != b[0]:
        raise ShapeError(f"shapes {a} and {b} do not match for @ ({a[1]} ≠ {b[0]})")
    return (a[0], b[1])


def _transpose_shape(a: Shape, **_) -> Shape:
    return tuple(reversed(a))


def _check_axis(shape: Shape, axis) -> None:
    if axis is None:
        return
    if not -len(shape) <= axis < len(shape):
        raise ShapeError(f"axis={axis} is out of range for shape {shape} (ndim {len(shape)})")


def _reduce_shape(a: Shape, axis=None, keepdims=False) -> Shape:
    _check_axis(a, axis)
    if axis is None:
        return tuple(1 for _ in a) if keepdims else ()
    axis %= len(a)
    return tuple(1 if i == axis else n for i, n in enumerate(a) if keepdims or i != axis)


def _softmax_shape(a: Shape, axis=-1) -> Shape:
    if not a:
        raise ShapeError("softmax needs a tensor with at least one axis, got a scalar")
    _check_axis(a, axis)
    return a


# ----- Helpers shared by forward, VJP and code (so they compute the same thing) -----

def _expand(g, axis, keepdims):
    """A reduced gradient with the reduced axis put back, ready to broadcast."""
    return g if axis is None or keepdims else np.expand_dims(g, axis)


def _expand_code(axis, keepdims) -> str:
    return "{g}" if axis is None or keepdims else f"np.expand_dims({{g}}, {axis})"


def _kw(axis, keepdims=False, default_axis=None) -> str:
    parts = [f"axis={axis}"] if axis != default_axis else []
    if keepdims:
        parts.append("keepdims=True")
    return "".join(", " + p for p in parts)


def _reduce_fmt(axis=None, keepdims=False):
    return {"kw": _kw(axis, keepdims), "gx": _expand_code(axis, keepdims)}


def _count(x, axis):
    return x.size if axis is None else x.shape[axis]


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return out
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    return x - _logsumexp(x, axis=axis, keepdims=True)


def _pow_fmt(p):
    """Template values for a ** p: the local derivative reads 2 a for p = 2, p a^(p-1) else."""
    if p == 2:
        return {"p": "2", "dpow_code": "2 * {0}", "dpow_tex": "2\\,{0}"}
    pm1 = _num(p - 1)
    return {
        "p": _num(p),
        "dpow_code": f"{_num(p)} * {{0}} ** {pm1}",
        "dpow_tex": f"{_num(p)}\\,{{0}}^{{{{{pm1}}}}}",
    }


def _num(v) -> str:
    return repr(int(v)) if float(v).is_integer() else repr(float(v))


# ----- Binary elementwise -----

register(Op(
    "add", 2, lambda a, b: a + b,
    # d(a + b)/da = 1, d(a + b)/db = 1
    (lambda g, out, a, b: g, lambda g, out, a, b: g),
    _broadcast, "{0} + {1}", ("1", "1"), ("{g}", "{g}"),
    "{0} + {1}", ("{g}", "{g}"), frozenset(), broadcasts=True,
))
register(Op(
    "sub", 2, lambda a, b: a - b,
    # d(a - b)/da = 1, d(a - b)/db = -1
    (lambda g, out, a, b: g, lambda g, out, a, b: -g),
    _broadcast, "{0} - {1}", ("1", "-1"), ("{g}", "-{g}"),
    "{0} - {1}", ("{g}", "-{g}"), frozenset(), broadcasts=True,
))
register(Op(
    "mul", 2, lambda a, b: a * b,
    # d(a * b)/da = b, d(a * b)/db = a
    (lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    _broadcast, "{0} \\odot {1}", ("{1}", "{0}"), ("{g} \\odot {1}", "{g} \\odot {0}"),
    "{0} * {1}", ("{g} * {1}", "{g} * {0}"), frozenset({"0", "1"}), broadcasts=True,
))
register(Op(
    "div", 2, lambda a, b: a / b,
    # d(a / b)/da = 1/b, d(a / b)/db = -a/b^2
    (lambda g, out, a, b: g / b, lambda g, out, a, b: -g * a / b ** 2),
    _broadcast, "\\frac{{{0}}}{{{1}}}",
    ("\\frac{{1}}{{{1}}}", "-\\frac{{{0}}}{{{1}^2}}"),
    ("\\frac{{{g}}}{{{1}}}", "-{g} \\odot \\frac{{{0}}}{{{1}^2}}"),
    "{0} / {1}", ("{g} / {1}", "-{g} * {0} / {1} ** 2"), frozenset({"0", "1"}), broadcasts=True,
))

# ----- Matrix product and transpose -----

register(Op(
    "matmul", 2, lambda a, b: a @ b,
    # d(a @ b)/da = g @ b.T, d(a @ b)/db = a.T @ g
    (lambda g, out, a, b: g @ b.T, lambda g, out, a, b: a.T @ g),
    _matmul_shape, "{0}\\,{1}", ("{1}^{{\\top}}", "{0}^{{\\top}}"),
    ("{g}\\,{1}^{{\\top}}", "{0}^{{\\top}}\\,{g}"),
    "{0} @ {1}", ("{g} @ {1}.T", "{0}.T @ {g}"), frozenset({"0", "1"}),
))
register(Op(
    "transpose", 1, lambda a: a.T,
    # d(a.T)/da: the gradient transposed back
    (lambda g, out, a: g.T,),
    _transpose_shape, "{0}^{{\\top}}", ("(\\cdot)^{{\\top}}",), ("{g}^{{\\top}}",),
    "{0}.T", ("{g}.T",), frozenset(),
))

# ----- Power and negation -----

register(Op(
    "pow", 1, lambda a, p: a ** p,
    # d(a ** p)/da = p * a ** (p - 1)
    (lambda g, out, a, p: g * 2 * a if p == 2 else g * p * a ** (p - 1),),
    _same, "{0}^{{{p}}}", ("{dpow_tex}",), ("{g} \\odot {dpow_tex}",),
    "{0} ** {p}", ("{g} * {dpow_code}",), frozenset({"0"}),
    attrs={"p": 2.0}, fmt=_pow_fmt,
))
register(Op(
    "neg", 1, lambda a: -a,
    # d(-a)/da = -1
    (lambda g, out, a: -g,),
    _same, "-{0}", ("-1",), ("-{g}",), "-{0}", ("-{g}",), frozenset(),
))

# ----- Unary elementwise -----

register(Op(
    "relu", 1, lambda a: np.maximum(a, 0),
    # d relu(a)/da = 1 where a > 0, else 0
    (lambda g, out, a: g * (a > 0),),
    _same, "\\mathrm{{relu}}({0})", ("\\mathbb{{1}}[{0} > 0]",), ("{g} \\odot \\mathbb{{1}}[{0} > 0]",),
    "np.maximum({0}, 0)", ("{g} * ({0} > 0)",), frozenset({"0"}),
))
register(Op(
    "sigmoid", 1, lambda a: 1 / (1 + np.exp(-a)),
    # d sigmoid(a)/da = out * (1 - out)
    (lambda g, out, a: g * out * (1 - out),),
    _same, "\\sigma({0})", ("{out}\\,(1 - {out})",), ("{g} \\odot {out}\\,(1 - {out})",),
    "1 / (1 + np.exp(-{0}))", ("{g} * {out} * (1 - {out})",), frozenset({"out"}),
))
register(Op(
    "tanh", 1, np.tanh,
    # d tanh(a)/da = 1 - out ** 2
    (lambda g, out, a: g * (1 - out ** 2),),
    _same, "\\tanh({0})", ("1 - {out}^2",), ("{g} \\odot (1 - {out}^2)",),
    "np.tanh({0})", ("{g} * (1 - {out} ** 2)",), frozenset({"out"}),
))
register(Op(
    "exp", 1, np.exp,
    # d exp(a)/da = out
    (lambda g, out, a: g * out,),
    _same, "e^{{{0}}}", ("{out}",), ("{g} \\odot {out}",),
    "np.exp({0})", ("{g} * {out}",), frozenset({"out"}),
))
register(Op(
    "log", 1, np.log,
    # d log(a)/da = 1 / a
    (lambda g, out, a: g / a,),
    _same, "\\log {0}", ("\\frac{{1}}{{{0}}}",), ("\\frac{{{g}}}{{{0}}}",),
    "np.log({0})", ("{g} / {0}",), frozenset({"0"}),
))
register(Op(
    "sqrt", 1, np.sqrt,
    # d sqrt(a)/da = 0.5 / out
    (lambda g, out, a: g * 0.5 / out,),
    _same, "\\sqrt{{{0}}}", ("\\frac{{1}}{{2\\,{out}}}",), ("\\frac{{{g}}}{{2\\,{out}}}",),
    "np.sqrt({0})", ("{g} * 0.5 / {out}",), frozenset({"out"}),
))
register(Op(
    "abs", 1, np.abs,
    # d |a|/da = sign(a)
    (lambda g, out, a: g * np.sign(a),),
    _same, "|{0}|", ("\\operatorname{{sign}}({0})",), ("{g} \\odot \\operatorname{{sign}}({0})",),
    "np.abs({0})", ("{g} * np.sign({0})",), frozenset({"0"}),
))
register(Op(
    "sin", 1, np.sin,
    # d sin(a)/da = cos(a)
    (lambda g, out, a: g * np.cos(a),),
    _same, "\\sin {0}", ("\\cos {0}",), ("{g} \\odot \\cos {0}",),
    "np.sin({0})", ("{g} * np.cos({0})",), frozenset({"0"}),
))
register(Op(
    "cos", 1, np.cos,
    # d cos(a)/da = -sin(a)
    (lambda g, out, a: -g * np.sin(a),),
    _same, "\\cos {0}", ("-\\sin {0}",), ("-{g} \\odot \\sin {0}",),
    "np.cos({0})", ("-{g} * np.sin({0})",), frozenset({"0"}),
))
register(Op(
    "square", 1, np.square,
    # d a^2/da = 2 a
    (lambda g, out, a: g * 2 * a,),
    _same, "{0}^2", ("2\\,{0}",), ("{g} \\odot 2\\,{0}",),
    "np.square({0})", ("{g} * 2 * {0}",), frozenset({"0"}),
))

# ----- Reductions -----

register(Op(
    "sum", 1, lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
    # d sum(a)/da = 1 everywhere: the gradient is copied to every summed element
    (lambda g, out, a, axis=None, keepdims=False: _expand(g, axis, keepdims) * np.ones_like(a),),
    _reduce_shape, "\\sum {0}", ("\\mathbf{{1}}",), ("{g}\\,\\mathbf{{1}}",),
    "np.sum({0}{kw})", ("{gx} * np.ones_like({0})",), frozenset(),
    attrs={"axis": None, "keepdims": False}, fmt=_reduce_fmt,
))
register(Op(
    "mean", 1, lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
    # d mean(a)/da = 1/n everywhere
    (lambda g, out, a, axis=None, keepdims=False:
        _expand(g, axis, keepdims) * np.ones_like(a) / _count(a, axis),),
    _reduce_shape, "\\operatorname{{mean}} {0}", ("\\frac{{1}}{{n}}\\mathbf{{1}}",),
    ("\\frac{{{g}}}{{n}}\\,\\mathbf{{1}}",),
    "np.mean({0}{kw})", ("{gx} * np.ones_like({0}) / {count}",), frozenset(),
    attrs={"axis": None, "keepdims": False},
    fmt=lambda axis=None, keepdims=False: {
        **_reduce_fmt(axis, keepdims),
        "count": "{0}.size" if axis is None else f"{{0}}.shape[{axis}]",
    },
))
register(Op(
    "logsumexp", 1, lambda a, axis=None, keepdims=False: _logsumexp(a, axis, keepdims),
    # d logsumexp(a)/da = softmax(a) = exp(a - out)
    (lambda g, out, a, axis=None, keepdims=False:
        _expand(g, axis, keepdims) * np.exp(a - _expand(out, axis, keepdims)),),
    _reduce_shape, "\\log \\sum e^{{{0}}}", ("e^{{{0} - {out}}}",), ("{g} \\odot e^{{{0} - {out}}}",),
    "logsumexp({0}{kw})", ("{gx} * np.exp({0} - {outx})",), frozenset({"0", "out"}),
    attrs={"axis": None, "keepdims": False},
    fmt=lambda axis=None, keepdims=False: {
        **_reduce_fmt(axis, keepdims),
        "outx": _expand_code(axis, keepdims).replace("{g}", "{out}"),
    },
))
register(Op(
    "softmax", 1, lambda a, axis=-1: _softmax(a, axis),
    # d softmax(a)/da applied to g: out * (g - sum(g * out))
    (lambda g, out, a, axis=-1: out * (g - np.sum(g * out, axis=axis, keepdims=True)),),
    _softmax_shape, "\\operatorname{{softmax}}({0})",
    ("\\operatorname{{diag}}({out}) - {out}\\,{out}^{{\\top}}",),
    ("{out} \\odot ({g} - \\textstyle\\sum {g} \\odot {out})",),
    "softmax({0}{kw})", ("{out} * ({g} - np.sum({g} * {out}, axis={axis}, keepdims=True))",),
    frozenset({"out"}), attrs={"axis": -1},
    fmt=lambda axis=-1: {"kw": _kw(axis, default_axis=-1), "axis": str(axis)},
))
register(Op(
    "log_softmax", 1, lambda a, axis=-1: _log_softmax(a, axis),
    # d log_softmax(a)/da applied to g: g - exp(out) * sum(g)
    (lambda g, out, a, axis=-1: g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),),
    _softmax_shape, "\\log \\operatorname{{softmax}}({0})",
    ("I - \\operatorname{{softmax}}({0})",),
    ("{g} - e^{{{out}}} \\textstyle\\sum {g}",),
    "log_softmax({0}{kw})", ("{g} - np.exp({out}) * np.sum({g}, axis={axis}, keepdims=True)",),
    frozenset({"out"}), attrs={"axis": -1},
    fmt=lambda axis=-1: {"kw": _kw(axis, default_axis=-1), "axis": str(axis)},
))

#: numpy helpers the generated script defines when it uses these ops (forward only)
SCRIPT_HELPERS = {
    "logsumexp": (
        "def logsumexp(a, axis=None, keepdims=False):\n"
        "    m = np.max(a, axis=axis, keepdims=True)\n"
        "    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m\n"
        "    if keepdims:\n"
        "        return out\n"
        "    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)\n"
    ),
    "softmax": (
        "def softmax(a, axis=-1):\n"
        "    e = np.exp(a - np.max(a, axis=axis, keepdims=True))\n"
        "    return e / np.sum(e, axis=axis, keepdims=True)\n"
    ),
}
SCRIPT_HELPERS["log_softmax"] = SCRIPT_HELPERS["logsumexp"] + (
    "def log_softmax(a, axis=-1):\n"
    "    return a - logsumexp(a, axis=axis, keepdims=True)\n"
)
