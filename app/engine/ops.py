"""Forward, VJP and JVP rules for every op, with their LaTeX and numpy code. No tracing, no HTTP.

This table is the only place in Gradwalk that knows a derivative. Each entry holds, next to each
other, as named fields: the forward (numpy), the VJP `vjp(g, out, *inputs, **attrs)` per input
(reverse mode), the JVP `jvp(t, out, *inputs, **attrs)` per input (forward mode), the shape
rule, the LaTeX of the op, of its local derivative, of each contribution and each tangent term,
and the numpy code of its forward, backward and tangent statements (the exported script runs
the code, so the code and the rules must compute the same thing in the same order). It is also
the one list of op names: the language, the notation and the code generator read it. `saves`
names what the VJP reads from the forward pass: the memory ledger of D2L 4.7 counts exactly
those tensors.

Broadcasting is numpy's: `apply_vjp` reduces each gradient back to its input's shape, and
`reduce_code` writes the same reduction as numpy code (both in shapes.py, with the shape rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

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

__all__ = ["REGISTRY", "SCRIPT_HELPERS", "MissingRuleError", "Op", "ShapeError", "apply_jvp",
           "apply_vjp", "op_flops",
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
    #: per input, jvp(t, out, *inputs, **attrs) -> what the input's tangent t adds to the
    #: output's tangent (forward mode: ẏ = Σ ∂y/∂xᵢ · ẋᵢ; apply_jvp sums and broadcasts)
    jvp: tuple[Callable[..., np.ndarray], ...]
    #: per input, LaTeX of that term; {t} is the input's tangent
    tangent: tuple[str, ...]
    #: per input, numpy expression of that term; {t} names the input's tangent
    code_jvp: tuple[str, ...]
    #: what the VJP reads: "out" and/or input positions "0", "1" (a tuple: ordered, so what is
    #: served never depends on the process's hash seed)
    saves: tuple[str, ...]
    #: keyword attributes the op takes, with defaults
    attrs: dict = field(default_factory=dict)
    #: extra template values computed from the attributes
    fmt: Callable[..., dict] = lambda **attrs: {}
    #: binary elementwise with numpy broadcasting: a contribution has the output's shape and
    #: is summed back to the input's (every other op's VJP gives the input's shape itself)
    broadcasts: bool = False
    #: floating-point operations of one forward evaluation, flops(out_shape, *input_shapes);
    #: None: one per element of the largest of the output and the inputs
    flops: Callable[..., int] | None = None
    #: how the language writes it: "call" (`relu(x)`, keyword attributes as in `attrs`), a
    #: binary operator ("+", "@", "**", …), "unary -" or ".T"
    syntax: str = "call"
    #: written like a function call in LaTeX (f(x), \\sqrt{x}, |x|): no parentheses around it
    call_like: bool = False
    #: the helper functions (SCRIPT_HELPERS) the exported script defines to run its forward
    helpers: tuple[str, ...] = ()


REGISTRY: dict[str, Op] = {}


def register(op: Op) -> Op:
    rules = (op.vjp, op.local, op.contrib, op.code_vjp, op.jvp, op.tangent, op.code_jvp)
    assert all(len(rule) == op.arity for rule in rules), f"{op.name}: a rule per input"
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


def apply_jvp(op: Op, tangents: list, out, inputs: list, attrs: dict):
    """The output's tangent from the inputs' tangents (None: known to be zero): the sum over
    inputs of J_i · ṫ_i, in the output's shape; None when every input's tangent is zero."""
    total = None
    for index, t in enumerate(tangents):
        if t is None:
            continue
        term = op.jvp[index](t, out, *inputs, **attrs)
        total = term if total is None else total + term
    if total is not None and np.shape(total) != np.shape(out):
        total = np.broadcast_to(total, np.shape(out)).copy()
    return total


def op_flops(op: Op, out_shape, *input_shapes) -> int:
    """FLOPs of one evaluation of `op`, counted from the shapes (not measured)."""
    if op.flops is not None:
        return int(op.flops(tuple(out_shape), *map(tuple, input_shapes)))
    return int(max(prod(out_shape), *(prod(s) for s in input_shapes)))


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
    name="add",
    syntax="+",
    arity=2,
    forward=lambda a, b: a + b,
    vjp=(lambda g, out, a, b: g, lambda g, out, a, b: g),
    shape=broadcast_shape,
    latex="{0} + {1}",
    local=("1", "1"),
    contrib=("{g}", "{g}"),
    code="{0} + {1}",
    code_vjp=("{g}", "{g}"),
    jvp=(lambda t, out, a, b: t, lambda t, out, a, b: t),
    tangent=("{t}", "{t}"),
    code_jvp=("{t}", "{t}"),
    saves=(),
    broadcasts=True,
))
register(Op(
    name="sub",
    syntax="-",
    arity=2,
    forward=lambda a, b: a - b,
    vjp=(lambda g, out, a, b: g, lambda g, out, a, b: -g),
    shape=broadcast_shape,
    latex="{0} - {1}",
    local=("1", "-1"),
    contrib=("{g}", "-{g}"),
    code="{0} - {1}",
    code_vjp=("{g}", "-{g}"),
    jvp=(lambda t, out, a, b: t, lambda t, out, a, b: -t),
    tangent=("{t}", "-{t}"),
    code_jvp=("{t}", "-{t}"),
    saves=(),
    broadcasts=True,
))
register(Op(
    name="mul",
    syntax="*",
    arity=2,
    forward=lambda a, b: a * b,
    vjp=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    shape=broadcast_shape,
    latex="{0} \\odot {1}",
    local=("{1}", "{0}"),
    contrib=("{g} \\odot {1}", "{g} \\odot {0}"),
    code="{0} * {1}",
    code_vjp=("{g} * {1}", "{g} * {0}"),
    jvp=(lambda t, out, a, b: t * b, lambda t, out, a, b: a * t),
    tangent=("{t} \\odot {1}", "{0} \\odot {t}"),
    code_jvp=("{t} * {1}", "{0} * {t}"),
    saves=("0", "1"),
    broadcasts=True,
))
register(Op(
    name="div",
    syntax="/",
    call_like=True,
    arity=2,
    forward=lambda a, b: a / b,
    vjp=(lambda g, out, a, b: g / b, lambda g, out, a, b: -g * a / b ** 2),
    shape=broadcast_shape,
    latex="\\frac{{{0}}}{{{1}}}",
    local=("\\frac{{1}}{{{1}}}", "-\\frac{{{0}}}{{{1}^2}}"),
    contrib=("\\frac{{{g}}}{{{1}}}", "-{g} \\odot \\frac{{{0}}}{{{1}^2}}"),
    code="{0} / {1}",
    code_vjp=("{g} / {1}", "-{g} * {0} / {1} ** 2"),
    jvp=(lambda t, out, a, b: t / b, lambda t, out, a, b: -t * a / b ** 2),
    tangent=("\\frac{{{t}}}{{{1}}}", "-{t} \\odot \\frac{{{0}}}{{{1}^2}}"),
    code_jvp=("{t} / {1}", "-{t} * {0} / {1} ** 2"),
    saves=("0", "1"),
    broadcasts=True,
))

# ----- Matrix product and transpose -----

register(Op(
    name="matmul",
    syntax="@",
    flops=lambda out, a, b: 2 * prod(out) * a[-1],  # 2·m·k·n
    arity=2,
    forward=lambda a, b: a @ b,
    vjp=(lambda g, out, a, b: g @ b.T, lambda g, out, a, b: a.T @ g),
    shape=matmul_shape,
    latex="{0}\\,{1}",
    local=("{1}^{{\\top}}", "{0}^{{\\top}}"),
    contrib=("{g}\\,{1}^{{\\top}}", "{0}^{{\\top}}\\,{g}"),
    code="{0} @ {1}",
    code_vjp=("{g} @ {1}.T", "{0}.T @ {g}"),
    jvp=(lambda t, out, a, b: t @ b, lambda t, out, a, b: a @ t),
    tangent=("{t}\\,{1}", "{0}\\,{t}"),
    code_jvp=("{t} @ {1}", "{0} @ {t}"),
    saves=("0", "1"),
))
register(Op(
    name="transpose",
    syntax=".T",
    arity=1,
    forward=lambda a: a.T,
    vjp=(lambda g, out, a: g.T,),
    shape=transpose_shape,
    latex="{0}^{{\\top}}",
    local=("(\\cdot)^{{\\top}}",),
    contrib=("{g}^{{\\top}}",),
    code="{0}.T",
    code_vjp=("{g}.T",),
    jvp=(lambda t, out, a: t.T,),
    tangent=("{t}^{{\\top}}",),
    code_jvp=("{t}.T",),
    saves=(),
))

# ----- Power and negation -----

register(Op(
    name="pow",
    syntax="**",
    arity=1,
    forward=lambda a, p: a ** p,
    vjp=(lambda g, out, a, p: g * 2 * a if p == 2 else g * p * a ** (p - 1),),
    shape=same_shape,
    latex="{0}^{{{p}}}",
    local=("{dpow_tex}",),
    contrib=("{g} \\odot {dpow_tex}",),
    code="{0} ** {p}",
    code_vjp=("{g} * {dpow_code}",),
    jvp=(lambda t, out, a, p: t * 2 * a if p == 2 else t * p * a ** (p - 1),),
    tangent=("{dpow_tex} \\odot {t}",),
    code_jvp=("{t} * {dpow_code}",),
    saves=("0",),
    attrs={"p": 2.0},
    fmt=_pow_fmt,
))
register(Op(
    name="neg",
    syntax="unary -",
    arity=1,
    forward=lambda a: -a,
    vjp=(lambda g, out, a: -g,),
    shape=same_shape,
    latex="-{0}",
    local=("-1",),
    contrib=("-{g}",),
    code="-{0}",
    code_vjp=("-{g}",),
    jvp=(lambda t, out, a: -t,),
    tangent=("-{t}",),
    code_jvp=("-{t}",),
    saves=(),
))

# ----- Unary elementwise -----

register(Op(
    name="relu",
    call_like=True,
    arity=1,
    forward=lambda a: np.maximum(a, 0),
    vjp=(lambda g, out, a: g * (a > 0),),
    shape=same_shape,
    latex="\\mathrm{{relu}}({0})",
    local=("\\mathbb{{1}}[{0} > 0]",),
    contrib=("{g} \\odot \\mathbb{{1}}[{0} > 0]",),
    code="np.maximum({0}, 0)",
    code_vjp=("{g} * ({0} > 0)",),
    jvp=(lambda t, out, a: t * (a > 0),),
    tangent=("\\mathbb{{1}}[{0} > 0] \\odot {t}",),
    code_jvp=("{t} * ({0} > 0)",),
    saves=("0",),
))
register(Op(
    name="sigmoid",
    call_like=True,
    arity=1,
    forward=lambda a: 1 / (1 + np.exp(-a)),
    vjp=(lambda g, out, a: g * out * (1 - out),),
    shape=same_shape,
    latex="\\sigma({0})",
    local=("{out}\\,(1 - {out})",),
    contrib=("{g} \\odot {out}\\,(1 - {out})",),
    code="1 / (1 + np.exp(-{0}))",
    code_vjp=("{g} * {out} * (1 - {out})",),
    jvp=(lambda t, out, a: t * out * (1 - out),),
    tangent=("{out}\\,(1 - {out}) \\odot {t}",),
    code_jvp=("{t} * {out} * (1 - {out})",),
    saves=("out",),
))
register(Op(
    name="tanh",
    call_like=True,
    arity=1,
    forward=np.tanh,
    vjp=(lambda g, out, a: g * (1 - out ** 2),),
    shape=same_shape,
    latex="\\tanh({0})",
    local=("1 - {out}^2",),
    contrib=("{g} \\odot (1 - {out}^2)",),
    code="np.tanh({0})",
    code_vjp=("{g} * (1 - {out} ** 2)",),
    jvp=(lambda t, out, a: t * (1 - out ** 2),),
    tangent=("(1 - {out}^2) \\odot {t}",),
    code_jvp=("{t} * (1 - {out} ** 2)",),
    saves=("out",),
))
register(Op(
    name="exp",
    arity=1,
    forward=np.exp,
    vjp=(lambda g, out, a: g * out,),
    shape=same_shape,
    latex="e^{{{0}}}",
    local=("{out}",),
    contrib=("{g} \\odot {out}",),
    code="np.exp({0})",
    code_vjp=("{g} * {out}",),
    jvp=(lambda t, out, a: t * out,),
    tangent=("{out} \\odot {t}",),
    code_jvp=("{t} * {out}",),
    saves=("out",),
))
register(Op(
    name="log",
    call_like=True,
    arity=1,
    forward=np.log,
    vjp=(lambda g, out, a: g / a,),
    shape=same_shape,
    latex="\\log {0}",
    local=("\\frac{{1}}{{{0}}}",),
    contrib=("\\frac{{{g}}}{{{0}}}",),
    code="np.log({0})",
    code_vjp=("{g} / {0}",),
    jvp=(lambda t, out, a: t / a,),
    tangent=("\\frac{{{t}}}{{{0}}}",),
    code_jvp=("{t} / {0}",),
    saves=("0",),
))
register(Op(
    name="sqrt",
    call_like=True,
    arity=1,
    forward=np.sqrt,
    vjp=(lambda g, out, a: g * 0.5 / out,),
    shape=same_shape,
    latex="\\sqrt{{{0}}}",
    local=("\\frac{{1}}{{2\\,{out}}}",),
    contrib=("\\frac{{{g}}}{{2\\,{out}}}",),
    code="np.sqrt({0})",
    code_vjp=("{g} * 0.5 / {out}",),
    jvp=(lambda t, out, a: t * 0.5 / out,),
    tangent=("\\frac{{{t}}}{{2\\,{out}}}",),
    code_jvp=("{t} * 0.5 / {out}",),
    saves=("out",),
))
register(Op(
    name="abs",
    call_like=True,
    arity=1,
    forward=np.abs,
    vjp=(lambda g, out, a: g * np.sign(a),),
    shape=same_shape,
    latex="|{0}|",
    local=("\\operatorname{{sign}}({0})",),
    contrib=("{g} \\odot \\operatorname{{sign}}({0})",),
    code="np.abs({0})",
    code_vjp=("{g} * np.sign({0})",),
    jvp=(lambda t, out, a: t * np.sign(a),),
    tangent=("\\operatorname{{sign}}({0}) \\odot {t}",),
    code_jvp=("{t} * np.sign({0})",),
    saves=("0",),
))
register(Op(
    name="sin",
    call_like=True,
    arity=1,
    forward=np.sin,
    vjp=(lambda g, out, a: g * np.cos(a),),
    shape=same_shape,
    latex="\\sin {0}",
    local=("\\cos {0}",),
    contrib=("{g} \\odot \\cos {0}",),
    code="np.sin({0})",
    code_vjp=("{g} * np.cos({0})",),
    jvp=(lambda t, out, a: t * np.cos(a),),
    tangent=("\\cos {0} \\odot {t}",),
    code_jvp=("{t} * np.cos({0})",),
    saves=("0",),
))
register(Op(
    name="cos",
    call_like=True,
    arity=1,
    forward=np.cos,
    vjp=(lambda g, out, a: -g * np.sin(a),),
    shape=same_shape,
    latex="\\cos {0}",
    local=("-\\sin {0}",),
    contrib=("-{g} \\odot \\sin {0}",),
    code="np.cos({0})",
    code_vjp=("-{g} * np.sin({0})",),
    jvp=(lambda t, out, a: -t * np.sin(a),),
    tangent=("-\\sin {0} \\odot {t}",),
    code_jvp=("-{t} * np.sin({0})",),
    saves=("0",),
))
register(Op(
    name="square",
    arity=1,
    forward=np.square,
    vjp=(lambda g, out, a: g * 2 * a,),
    shape=same_shape,
    latex="{0}^2",
    local=("2\\,{0}",),
    contrib=("{g} \\odot 2\\,{0}",),
    code="np.square({0})",
    code_vjp=("{g} * 2 * {0}",),
    jvp=(lambda t, out, a: t * 2 * a,),
    tangent=("2\\,{0} \\odot {t}",),
    code_jvp=("{t} * 2 * {0}",),
    saves=("0",),
))

# ----- Reductions -----

register(Op(
    name="sum",
    call_like=True,
    arity=1,
    forward=lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
    vjp=(lambda g, out, a, axis=None, keepdims=False: _expand(g, axis, keepdims) * np.ones_like(a),),
    shape=reduce_shape,
    latex="\\sum {0}",
    local=("\\mathbf{{1}}",),
    contrib=("{g}\\,\\mathbf{{1}}",),
    code="np.sum({0}{kw})",
    code_vjp=("{gx} * np.ones_like({0})",),
    jvp=(lambda t, out, a, axis=None, keepdims=False: np.sum(t, axis=axis, keepdims=keepdims),),
    tangent=("\\textstyle\\sum {t}",),
    code_jvp=("np.sum({t}{kw})",),
    saves=(),
    attrs={"axis": None, "keepdims": False},
    fmt=_reduce_fmt,
))
register(Op(
    name="mean",
    call_like=True,
    arity=1,
    forward=lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
    vjp=(lambda g, out, a, axis=None, keepdims=False:
        _expand(g, axis, keepdims) * np.ones_like(a) / _count(a, axis),),
    shape=reduce_shape,
    latex="\\operatorname{{mean}} {0}",
    local=("\\frac{{1}}{{n}}\\mathbf{{1}}",),
    contrib=("\\frac{{{g}}}{{n}}\\,\\mathbf{{1}}",),
    code="np.mean({0}{kw})",
    code_vjp=("{gx} * np.ones_like({0}) / {count}",),
    jvp=(lambda t, out, a, axis=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims),),
    tangent=("\\operatorname{{mean}} {t}",),
    code_jvp=("np.mean({t}{kw})",),
    saves=(),
    attrs={"axis": None, "keepdims": False},
    fmt=lambda axis=None, keepdims=False: {
        **_reduce_fmt(axis, keepdims),
        "count": "{0}.size" if axis is None else f"{{0}}.shape[{axis}]",
    },
))
register(Op(
    name="logsumexp",
    call_like=True,
    helpers=("logsumexp",),
    arity=1,
    forward=lambda a, axis=None, keepdims=False: _logsumexp(a, axis, keepdims),
    vjp=(lambda g, out, a, axis=None, keepdims=False:
        _expand(g, axis, keepdims) * np.exp(a - _expand(out, axis, keepdims)),),
    shape=reduce_shape,
    latex="\\log \\sum e^{{{0}}}",
    local=("e^{{{0} - {out}}}",),
    contrib=("{g} \\odot e^{{{0} - {out}}}",),
    code="logsumexp({0}{kw})",
    code_vjp=("{gx} * np.exp({0} - {outx})",),
    jvp=(lambda t, out, a, axis=None, keepdims=False:
        np.sum(t * np.exp(a - _expand(out, axis, keepdims)), axis=axis, keepdims=keepdims),),
    tangent=("\\textstyle\\sum e^{{{0} - {out}}} \\odot {t}",),
    code_jvp=("np.sum({t} * np.exp({0} - {outx}){kw})",),
    saves=("out", "0"),
    attrs={"axis": None, "keepdims": False},
    fmt=lambda axis=None, keepdims=False: {
        **_reduce_fmt(axis, keepdims),
        "outx": _expand_code(axis, keepdims).replace("{g}", "{out}"),
    },
))
register(Op(
    name="softmax",
    call_like=True,
    helpers=("softmax",),
    arity=1,
    forward=lambda a, axis=-1: _softmax(a, axis),
    vjp=(lambda g, out, a, axis=-1: out * (g - np.sum(g * out, axis=axis, keepdims=True)),),
    shape=softmax_shape,
    latex="\\operatorname{{softmax}}({0})",
    local=("\\operatorname{{diag}}({out}) - {out}\\,{out}^{{\\top}}",),
    contrib=("{out} \\odot ({g} - \\textstyle\\sum {g} \\odot {out})",),
    code="softmax({0}{kw})",
    code_vjp=("{out} * ({g} - np.sum({g} * {out}, axis={axis}, keepdims=True))",),
    jvp=(lambda t, out, a, axis=-1: out * (t - np.sum(t * out, axis=axis, keepdims=True)),),
    tangent=("{out} \\odot ({t} - \\textstyle\\sum {t} \\odot {out})",),
    code_jvp=("{out} * ({t} - np.sum({t} * {out}, axis={axis}, keepdims=True))",),
    saves=("out",),
    attrs={"axis": -1},
    fmt=lambda axis=-1: {"kw": _kw(axis, default_axis=-1), "axis": str(axis)},
))
register(Op(
    name="log_softmax",
    call_like=True,
    helpers=("logsumexp", "log_softmax"),
    arity=1,
    forward=lambda a, axis=-1: _log_softmax(a, axis),
    vjp=(lambda g, out, a, axis=-1: g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),),
    shape=softmax_shape,
    latex="\\log \\operatorname{{softmax}}({0})",
    local=("I - \\operatorname{{softmax}}({0})",),
    contrib=("{g} - e^{{{out}}} \\textstyle\\sum {g}",),
    code="log_softmax({0}{kw})",
    code_vjp=("{g} - np.exp({out}) * np.sum({g}, axis={axis}, keepdims=True)",),
    jvp=(lambda t, out, a, axis=-1: t - np.sum(np.exp(out) * t, axis=axis, keepdims=True),),
    tangent=("{t} - \\textstyle\\sum e^{{{out}}} \\odot {t}",),
    code_jvp=("{t} - np.sum(np.exp({out}) * {t}, axis={axis}, keepdims=True)",),
    saves=("out",),
    attrs={"axis": -1},
    fmt=lambda axis=-1: {"kw": _kw(axis, default_axis=-1), "axis": str(axis)},
))

#: numpy helpers the generated script defines when an op names them in `helpers`
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
SCRIPT_HELPERS["log_softmax"] = (
    "def log_softmax(a, axis=-1):\n"
    "    return a - logsumexp(a, axis=axis, keepdims=True)\n"
)
