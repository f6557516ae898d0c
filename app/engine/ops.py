"""Forward and VJP rules for every op, with their LaTeX and numpy code. No tracing, no HTTP.

This table is the only place in Gradwalk that knows a derivative. Each entry holds, next to each
other: the forward (numpy), the VJP `vjp(g, out, *inputs, **attrs)` returning one gradient per
input, the shape rule, the LaTeX of the op and of its local derivative per input, and the numpy
code of its forward and backward statements (which the exported script runs, so the code and
the VJP must compute the same thing in the same order). `saves` names what the VJP reads from
the forward pass: the memory ledger of D2L 4.7 counts exactly those tensors.

Broadcasting is numpy's: `apply_vjp` reduces each gradient back to its input's shape, and
`reduce_code` writes the same reduction as numpy code (both in shapes.py, with the shape rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .shapes import (
    Shape,
    ShapeError,
    broadcast_shape,
    matmul_shape,
    reduce_code,
    reduce_shape,
    reduce_to,
    same_shape,
    softmax_shape,
    transpose_shape,
)

__all__ = ["REGISTRY", "SCRIPT_HELPERS", "MissingRuleError", "Op", "ShapeError", "apply_vjp",
           "get_op", "reduce_code", "reduce_to", "register", "render"]


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


def apply_vjp(op: Op, g, out, inputs: list, attrs: dict, index: int) -> np.ndarray:
    """The contribution of `g` to the gradient of input `index`, reduced to its shape."""
    grad = op.vjp[index](g, out, *inputs, **attrs)
    return reduce_to(grad, np.shape(inputs[index]))


def render(template: str, fmt: dict, inputs: list[str], **names: str) -> str:
    """Fill a LaTeX or code template: attribute values first, then input and other names."""
    for key, value in fmt.items():
        template = template.replace("{" + key + "}", value)
    return template.format(*inputs, **names)


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
    broadcast_shape, "{0} + {1}", ("1", "1"), ("{g}", "{g}"),
    "{0} + {1}", ("{g}", "{g}"), frozenset(), broadcasts=True,
))
register(Op(
    "sub", 2, lambda a, b: a - b,
    # d(a - b)/da = 1, d(a - b)/db = -1
    (lambda g, out, a, b: g, lambda g, out, a, b: -g),
    broadcast_shape, "{0} - {1}", ("1", "-1"), ("{g}", "-{g}"),
    "{0} - {1}", ("{g}", "-{g}"), frozenset(), broadcasts=True,
))
register(Op(
    "mul", 2, lambda a, b: a * b,
    # d(a * b)/da = b, d(a * b)/db = a
    (lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    broadcast_shape, "{0} \\odot {1}", ("{1}", "{0}"), ("{g} \\odot {1}", "{g} \\odot {0}"),
    "{0} * {1}", ("{g} * {1}", "{g} * {0}"), frozenset({"0", "1"}), broadcasts=True,
))
register(Op(
    "div", 2, lambda a, b: a / b,
    # d(a / b)/da = 1/b, d(a / b)/db = -a/b^2
    (lambda g, out, a, b: g / b, lambda g, out, a, b: -g * a / b ** 2),
    broadcast_shape, "\\frac{{{0}}}{{{1}}}",
    ("\\frac{{1}}{{{1}}}", "-\\frac{{{0}}}{{{1}^2}}"),
    ("\\frac{{{g}}}{{{1}}}", "-{g} \\odot \\frac{{{0}}}{{{1}^2}}"),
    "{0} / {1}", ("{g} / {1}", "-{g} * {0} / {1} ** 2"), frozenset({"0", "1"}), broadcasts=True,
))

# ----- Matrix product and transpose -----

register(Op(
    "matmul", 2, lambda a, b: a @ b,
    # d(a @ b)/da = g @ b.T, d(a @ b)/db = a.T @ g
    (lambda g, out, a, b: g @ b.T, lambda g, out, a, b: a.T @ g),
    matmul_shape, "{0}\\,{1}", ("{1}^{{\\top}}", "{0}^{{\\top}}"),
    ("{g}\\,{1}^{{\\top}}", "{0}^{{\\top}}\\,{g}"),
    "{0} @ {1}", ("{g} @ {1}.T", "{0}.T @ {g}"), frozenset({"0", "1"}),
))
register(Op(
    "transpose", 1, lambda a: a.T,
    # d(a.T)/da: the gradient transposed back
    (lambda g, out, a: g.T,),
    transpose_shape, "{0}^{{\\top}}", ("(\\cdot)^{{\\top}}",), ("{g}^{{\\top}}",),
    "{0}.T", ("{g}.T",), frozenset(),
))

# ----- Power and negation -----

register(Op(
    "pow", 1, lambda a, p: a ** p,
    # d(a ** p)/da = p * a ** (p - 1)
    (lambda g, out, a, p: g * 2 * a if p == 2 else g * p * a ** (p - 1),),
    same_shape, "{0}^{{{p}}}", ("{dpow_tex}",), ("{g} \\odot {dpow_tex}",),
    "{0} ** {p}", ("{g} * {dpow_code}",), frozenset({"0"}),
    attrs={"p": 2.0}, fmt=_pow_fmt,
))
register(Op(
    "neg", 1, lambda a: -a,
    # d(-a)/da = -1
    (lambda g, out, a: -g,),
    same_shape, "-{0}", ("-1",), ("-{g}",), "-{0}", ("-{g}",), frozenset(),
))

# ----- Unary elementwise -----

register(Op(
    "relu", 1, lambda a: np.maximum(a, 0),
    # d relu(a)/da = 1 where a > 0, else 0
    (lambda g, out, a: g * (a > 0),),
    same_shape, "\\mathrm{{relu}}({0})", ("\\mathbb{{1}}[{0} > 0]",), ("{g} \\odot \\mathbb{{1}}[{0} > 0]",),
    "np.maximum({0}, 0)", ("{g} * ({0} > 0)",), frozenset({"0"}),
))
register(Op(
    "sigmoid", 1, lambda a: 1 / (1 + np.exp(-a)),
    # d sigmoid(a)/da = out * (1 - out)
    (lambda g, out, a: g * out * (1 - out),),
    same_shape, "\\sigma({0})", ("{out}\\,(1 - {out})",), ("{g} \\odot {out}\\,(1 - {out})",),
    "1 / (1 + np.exp(-{0}))", ("{g} * {out} * (1 - {out})",), frozenset({"out"}),
))
register(Op(
    "tanh", 1, np.tanh,
    # d tanh(a)/da = 1 - out ** 2
    (lambda g, out, a: g * (1 - out ** 2),),
    same_shape, "\\tanh({0})", ("1 - {out}^2",), ("{g} \\odot (1 - {out}^2)",),
    "np.tanh({0})", ("{g} * (1 - {out} ** 2)",), frozenset({"out"}),
))
register(Op(
    "exp", 1, np.exp,
    # d exp(a)/da = out
    (lambda g, out, a: g * out,),
    same_shape, "e^{{{0}}}", ("{out}",), ("{g} \\odot {out}",),
    "np.exp({0})", ("{g} * {out}",), frozenset({"out"}),
))
register(Op(
    "log", 1, np.log,
    # d log(a)/da = 1 / a
    (lambda g, out, a: g / a,),
    same_shape, "\\log {0}", ("\\frac{{1}}{{{0}}}",), ("\\frac{{{g}}}{{{0}}}",),
    "np.log({0})", ("{g} / {0}",), frozenset({"0"}),
))
register(Op(
    "sqrt", 1, np.sqrt,
    # d sqrt(a)/da = 0.5 / out
    (lambda g, out, a: g * 0.5 / out,),
    same_shape, "\\sqrt{{{0}}}", ("\\frac{{1}}{{2\\,{out}}}",), ("\\frac{{{g}}}{{2\\,{out}}}",),
    "np.sqrt({0})", ("{g} * 0.5 / {out}",), frozenset({"out"}),
))
register(Op(
    "abs", 1, np.abs,
    # d |a|/da = sign(a)
    (lambda g, out, a: g * np.sign(a),),
    same_shape, "|{0}|", ("\\operatorname{{sign}}({0})",), ("{g} \\odot \\operatorname{{sign}}({0})",),
    "np.abs({0})", ("{g} * np.sign({0})",), frozenset({"0"}),
))
register(Op(
    "sin", 1, np.sin,
    # d sin(a)/da = cos(a)
    (lambda g, out, a: g * np.cos(a),),
    same_shape, "\\sin {0}", ("\\cos {0}",), ("{g} \\odot \\cos {0}",),
    "np.sin({0})", ("{g} * np.cos({0})",), frozenset({"0"}),
))
register(Op(
    "cos", 1, np.cos,
    # d cos(a)/da = -sin(a)
    (lambda g, out, a: -g * np.sin(a),),
    same_shape, "\\cos {0}", ("-\\sin {0}",), ("-{g} \\odot \\sin {0}",),
    "np.cos({0})", ("-{g} * np.sin({0})",), frozenset({"0"}),
))
register(Op(
    "square", 1, np.square,
    # d a^2/da = 2 a
    (lambda g, out, a: g * 2 * a,),
    same_shape, "{0}^2", ("2\\,{0}",), ("{g} \\odot 2\\,{0}",),
    "np.square({0})", ("{g} * 2 * {0}",), frozenset({"0"}),
))

# ----- Reductions -----

register(Op(
    "sum", 1, lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
    # d sum(a)/da = 1 everywhere: the gradient is copied to every summed element
    (lambda g, out, a, axis=None, keepdims=False: _expand(g, axis, keepdims) * np.ones_like(a),),
    reduce_shape, "\\sum {0}", ("\\mathbf{{1}}",), ("{g}\\,\\mathbf{{1}}",),
    "np.sum({0}{kw})", ("{gx} * np.ones_like({0})",), frozenset(),
    attrs={"axis": None, "keepdims": False}, fmt=_reduce_fmt,
))
register(Op(
    "mean", 1, lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
    # d mean(a)/da = 1/n everywhere
    (lambda g, out, a, axis=None, keepdims=False:
        _expand(g, axis, keepdims) * np.ones_like(a) / _count(a, axis),),
    reduce_shape, "\\operatorname{{mean}} {0}", ("\\frac{{1}}{{n}}\\mathbf{{1}}",),
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
    reduce_shape, "\\log \\sum e^{{{0}}}", ("e^{{{0} - {out}}}",), ("{g} \\odot e^{{{0} - {out}}}",),
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
    softmax_shape, "\\operatorname{{softmax}}({0})",
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
    softmax_shape, "\\log \\operatorname{{softmax}}({0})",
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
