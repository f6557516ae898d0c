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

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

import numpy as np

from .shapes import (
    Shape,
    ShapeError,
    broadcast_shape,
    concat_shape,
    index_shape,
    matmul_nd_shape,
    matmul_shape,
    reduce_code,
    reduce_shape,
    reduce_to,
    reshape_shape,
    same_shape,
    softmax_shape,
    stack_shape,
    transpose_shape,
)

__all__ = ["REGISTRY", "SCRIPT_HELPERS", "VARIADIC", "MissingRuleError", "Op", "PerInput",
           "ShapeError", "apply_jvp",
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
    #: per input, which of `saves` that input's VJP reads (None: all of them). A VJP that is
    #: not needed (its input needs no gradient: a constant, a data input with `input_grads`
    #: false) does not keep what only it reads: `y * log(p)` keeps log(p) only for ∂/∂y
    reads: tuple[tuple[str, ...], ...] | None = None
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
    #: what one evaluation costs in the budget's element operations, numpy calls included:
    #: work(out_shape, *input_shapes) -> budget.Work (forward, one VJP, one JVP); None: the
    #: FLOPs plus one call each (an op the source defines counts every op it runs)
    work: Callable[..., object] | None = None
    #: how the language writes it: "call" (`relu(x)`, keyword attributes as in `attrs`), a
    #: binary operator ("+", "@", "**", …), "unary -" or ".T"
    syntax: str = "call"
    #: written like a function call in LaTeX (f(x), \\sqrt{x}, |x|): no parentheses around it
    call_like: bool = False
    #: the helper functions (SCRIPT_HELPERS) the exported script defines to run its forward
    helpers: tuple[str, ...] = ()
    #: an op the source defines: the Python functions the exported script defines for it
    script: str = ""
    #: more names the language calls it by (`dot` for `@`, `pow` for `**` with a tensor)
    names: tuple[str, ...] = ()
    #: the attribute the call's extra positional arguments give (`reshape(x, (2, 3))`)
    positional: str = ""
    #: attributes the call's extra positional arguments give, one each, in order (numpy's
    #: `clip(x, lo, hi)`)
    positional_attrs: tuple[str, ...] = ()
    #: one sentence: how the op routes the gradient back to its inputs (the narration's and
    #: the chain-rule card's "gate pattern")
    routes: str = ""


REGISTRY: dict[str, Op] = {}

#: the gate pattern of a node used by several consumers: not an op, the `+=` of the backward
FAN_OUT = ("a copy (fan-out) adds the arriving contributions: a node used by several "
           "consumers receives one gradient from each, and its gradient is their sum.")


class PerInput:
    """The rules of a variadic op (arity VARIADIC): per_input[i] is make(i), for any i."""

    def __init__(self, make: Callable[[int], object]):
        self.make = make

    def __getitem__(self, index: int):
        return self.make(index)


#: the arity of an op that takes any number (two or more) of inputs: concatenate, stack
VARIADIC = -1


def register(op: Op) -> Op:
    rules = (op.vjp, op.local, op.contrib, op.code_vjp, op.jvp, op.tangent, op.code_jvp)
    if op.arity == VARIADIC:
        assert all(isinstance(rule, PerInput) for rule in rules), f"{op.name}: PerInput rules"
    else:
        assert all(len(rule) == op.arity for rule in rules), f"{op.name}: a rule per input"
    if op.reads is not None:
        assert len(op.reads) == op.arity, f"{op.name}: reads per input"
        assert all(ref in op.saves for refs in op.reads for ref in refs), f"{op.name}: reads ⊆ saves"
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
    if axis is None:
        return x.size
    return prod(x.shape[a] for a in axis) if isinstance(axis, tuple) else x.shape[axis]


def _count_code(axis) -> str:
    """numpy code of _count: how many elements each reduced value is over."""
    if axis is None:
        return "{0}.size"
    if isinstance(axis, tuple):
        return "(" + " * ".join(f"{{0}}.shape[{a}]" for a in axis) + ")"
    return f"{{0}}.shape[{axis}]"


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isinf(m), 0.0, m)  # all −inf: −inf, not NaN (as PyTorch)
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
    """Template values for a ** p: the local derivative reads 2 a for p = 2, p a^(p-1) else,
    and exactly 0 for p = 0 (a ** 0 is 1 everywhere, even at a = 0, as PyTorch says)."""
    if p == 0:
        return {"p": "0", "dpow_tex": "0", "vjp_code": "np.zeros_like({0})",
                "jvp_code": "np.zeros_like({0})"}
    if p == 2:
        dpow = "2 * {0}"
        return {"p": "2", "dpow_tex": "2\\,{0}", "vjp_code": "{g} * " + dpow,
                "jvp_code": "{t} * " + dpow}
    pm1 = _num(p - 1)
    dpow = f"{_num(p)} * {{0}} ** {pm1}"
    return {
        "p": _num(p),
        "dpow_tex": f"{_num(p)}\\,{{0}}^{{{{{pm1}}}}}",
        "vjp_code": "{g} * " + dpow, "jvp_code": "{t} * " + dpow,
    }


def _dpow(g, a, p):
    """g times d(a ** p)/da, as the code templates write it."""
    if p == 0:
        return np.zeros_like(a * g)
    return g * 2 * a if p == 2 else g * p * a ** (p - 1)


def _erf(x):
    """The error function, elementwise and exact to double (numpy has none)."""
    return np.asarray(_ERF(np.asarray(x, dtype=np.float64)), dtype=np.float64)


_ERF = np.frompyfunc(math.erf, 1, 1)
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


def _gelu(a):
    return a * 0.5 * (1 + _erf(a / _SQRT2))


def _gelu_d(a):
    """d gelu(a)/da = Φ(a) + a φ(a)."""
    return 0.5 * (1 + _erf(a / _SQRT2)) + a * np.exp(-0.5 * a * a) / _SQRT2PI


def _exclusive_prod(x):
    """Along the last axis: the product of every other element (no division, so zeros work)."""
    ones = np.ones(x.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(x, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    return left * right


def _prod_others(a, axis=None):
    """Per element, the product of the others it is multiplied with by prod(a, axis)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return np.ones_like(a)
    if axis is None:
        return _exclusive_prod(a.reshape(-1)).reshape(a.shape)
    axes = tuple(x % a.ndim for x in (axis if isinstance(axis, tuple) else (axis,)))
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    return np.moveaxis(_exclusive_prod(flat).reshape(moved.shape), last, axes)


def index_key(text: str):
    """The numpy key of an index written as text: "1:3, 0" -> (slice(1, 3), 0)."""
    key = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            key.append(slice(*(int(x) if x.strip() else None for x in part.split(":"))))
        else:
            key.append(int(part))
    return tuple(key)


def _scatter(g, shape, key):
    """The gradient of a[key]: g put back where the elements came from, zeros elsewhere."""
    out = np.zeros(shape)
    out[index_key(key)] = g
    return out


def _matmul_grad(g, a, b, index):
    """∂(a @ b) for numpy's matmul: 1-D operands promoted, batch axes summed back."""
    if a.ndim == 1 and b.ndim == 1:  # a dot product: a scalar
        return g * (b if index == 0 else a)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.asarray(g, dtype=np.float64)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    if index == 0:
        d = g2 @ np.swapaxes(b2, -1, -2)
        d = d[..., 0, :] if a.ndim == 1 else d
        return reduce_to(d, a.shape)
    d = np.swapaxes(a2, -1, -2) @ g2
    d = d[..., 0] if b.ndim == 1 else d
    return reduce_to(d, b.shape)


def _winners(a, out, axis, keepdims):
    """1 / (number of winners) where a element equals its reduction's max (or min), else 0:
    ties split the gradient evenly, as torch.amax and torch.amin do."""
    hit = (a == _expand(out, axis, keepdims)).astype(np.float64)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _select(g, weights):
    """g times the weights where they are not 0, else 0 (selected, so a NaN in g is not sent
    where the weight blocks it)."""
    return np.where(weights != 0, g * weights, 0.0)


def _over(num, den):
    """num / den, and 0 where den is 0 (PyTorch's masking at a norm or a std of 0)."""
    return np.where(den == 0, 0.0, num / np.where(den == 0, 1.0, den))


def _reduce_fmt_count(axis=None, keepdims=False):
    return {**_reduce_fmt(axis, keepdims),
            "count": _count_code(axis),
            "kwk": f", axis={axis}, keepdims=True" if axis is not None else ", keepdims=True",
            "outx": _expand_code(axis, keepdims).replace("{g}", "{out}"),
            "axis_kw": "" if axis is None else f", axis={axis}"}


def _num(v) -> str:
    return repr(int(v)) if float(v).is_integer() else repr(float(v))


# ----- Binary elementwise -----

register(Op(
    name="add",
    routes=("add distributes the gradient unchanged to both inputs (summed over the axes an input"
            " was broadcast along)."),
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
    routes="sub passes the gradient unchanged to the first input and negated to the second.",
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
    routes=("mul swaps the inputs: each input's gradient is the upstream gradient times the other"
            " input's value."),
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
    reads=(("1",), ("0",)), saves=("0", "1"),
    broadcasts=True,
))
register(Op(
    name="div",
    routes=("div sends the gradient divided by the denominator to the numerator, and "
            "−gradient·a/b² to the denominator."),
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
    reads=(("1",), ("0", "1")), saves=("0", "1"),
    broadcasts=True,
))

# ----- Matrix product and transpose -----

register(Op(
    name="matmul",
    names=("dot",),
    routes=("matmul multiplies the gradient by the other operand transposed: g Bᵀ for the left, "
            "Aᵀ g for the right."),
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
    reads=(("1",), ("0",)), saves=("0", "1"),
))
register(Op(
    name="transpose",
    names=("transpose",),
    routes="transpose transposes the gradient back.",
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
    routes="pow scales the gradient by p·x^(p−1).",
    syntax="**",
    arity=1,
    forward=lambda a, p: a ** p,
    vjp=(lambda g, out, a, p: _dpow(g, a, p),),
    shape=same_shape,
    latex="{0}^{{{p}}}",
    local=("{dpow_tex}",),
    contrib=("{g} \\odot {dpow_tex}",),
    code="{0} ** {p}",
    code_vjp=("{vjp_code}",),
    jvp=(lambda t, out, a, p: _dpow(t, a, p),),
    tangent=("{dpow_tex} \\odot {t}",),
    code_jvp=("{jvp_code}",),
    saves=("0",),
    attrs={"p": 2.0},
    fmt=_pow_fmt,
))
register(Op(
    name="neg",
    routes="neg passes the gradient back negated.",
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
    routes=("relu is a gate: it passes the gradient where x > 0 and blocks it elsewhere (at 0 "
            "too, as PyTorch)."),
    call_like=True,
    arity=1,
    forward=lambda a: np.maximum(a, 0),
    # a gate selects, never multiplies: a NaN upstream stays where it is blocked (PyTorch's)
    vjp=(lambda g, out, a: np.where(a > 0, g, 0.0),),
    shape=same_shape,
    latex="\\mathrm{{relu}}({0})",
    local=("\\mathbb{{1}}[{0} > 0]",),
    contrib=("{g} \\odot \\mathbb{{1}}[{0} > 0]",),
    code="np.maximum({0}, 0)",
    code_vjp=("np.where({0} > 0, {g}, 0.0)",),
    jvp=(lambda t, out, a: np.where(a > 0, t, 0.0),),
    tangent=("\\mathbb{{1}}[{0} > 0] \\odot {t}",),
    code_jvp=("np.where({0} > 0, {t}, 0.0)",),
    saves=("0",),
))
register(Op(
    name="sigmoid",
    routes="sigmoid scales the gradient by σ(x)(1 − σ(x)), at most 1/4: the gradient shrinks.",
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
    routes="tanh scales the gradient by 1 − tanh²(x), at most 1: it shrinks where the unit saturates.",
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
    routes="exp scales the gradient by its own output eˣ.",
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
    routes="log divides the gradient by x.",
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
    routes="sqrt divides the gradient by twice its output.",
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
    routes="abs passes the gradient with the sign of x (0 at x = 0, as PyTorch).",
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
    routes="sin scales the gradient by cos x.",
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
    routes="cos scales the gradient by −sin x.",
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
    routes="square scales the gradient by 2x.",
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
    routes="a reduction (sum) broadcasts the gradient back: every summed element gets it unchanged.",
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
    routes="a reduction (mean) broadcasts the gradient back divided by n: every element gets an equal share.",
    call_like=True,
    arity=1,
    forward=lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
    vjp=(lambda g, out, a, axis=None, keepdims=False:
        _expand(g, axis, keepdims) * np.ones_like(a) / _count(a, axis),),
    shape=reduce_shape,
    latex="\\operatorname{{mean}} {0}",
    local=("\\frac{{1}}{{n}}",),
    contrib=("\\frac{{{g}}}{{n}}",),
    code="np.mean({0}{kw})",
    code_vjp=("{gx} * np.ones_like({0}) / {count}",),
    jvp=(lambda t, out, a, axis=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims),),
    tangent=("\\operatorname{{mean}} {t}",),
    code_jvp=("np.mean({t}{kw})",),
    saves=(),
    attrs={"axis": None, "keepdims": False},
    fmt=lambda axis=None, keepdims=False: {
        **_reduce_fmt(axis, keepdims), "count": _count_code(axis),
    },
))
register(Op(
    name="logsumexp",
    routes="logsumexp sends each element the gradient times its softmax weight.",
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
    routes="softmax mixes the gradient across its axis: out ⊙ (g − Σ g ⊙ out).",
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
    routes="log_softmax passes the gradient minus softmax times its sum over the axis.",
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

# ----- More elementwise ops (PyTorch's defaults and subgradients) -----

register(Op(
    name="softplus", arity=1,
    forward=lambda a: np.logaddexp(0, a),
    vjp=(lambda g, out, a: g / (1 + np.exp(-a)),),
    shape=same_shape, latex="\\operatorname{{softplus}}({0})",
    local=("\\sigma({0})",), contrib=("{g} \\odot \\sigma({0})",),
    code="np.logaddexp(0, {0})", code_vjp=("{g} / (1 + np.exp(-{0}))",),
    jvp=(lambda t, out, a: t / (1 + np.exp(-a)),), tangent=("\\sigma({0}) \\odot {t}",),
    code_jvp=("{t} / (1 + np.exp(-{0}))",),
    saves=("0",), call_like=True,
    routes="softplus scales the gradient by σ(x), the smooth step between 0 and 1.",
))
register(Op(
    name="log1p", arity=1, forward=np.log1p,
    vjp=(lambda g, out, a: g / (1 + a),),
    shape=same_shape, latex="\\log(1 + {0})",
    local=("\\frac{{1}}{{1 + {0}}}",), contrib=("\\frac{{{g}}}{{1 + {0}}}",),
    code="np.log1p({0})", code_vjp=("{g} / (1 + {0})",),
    jvp=(lambda t, out, a: t / (1 + a),), tangent=("\\frac{{{t}}}{{1 + {0}}}",),
    code_jvp=("{t} / (1 + {0})",),
    saves=("0",), call_like=True,
    routes="log1p divides the gradient by 1 + x.",
))
register(Op(
    name="expm1", arity=1, forward=np.expm1,
    vjp=(lambda g, out, a: g * (out + 1),),
    shape=same_shape, latex="(e^{{{0}}} - 1)",
    local=("e^{{{0}}}",), contrib=("{g} \\odot ({out} + 1)",),
    code="np.expm1({0})", code_vjp=("{g} * ({out} + 1)",),
    jvp=(lambda t, out, a: t * (out + 1),), tangent=("({out} + 1) \\odot {t}",),
    code_jvp=("{t} * ({out} + 1)",),
    saves=("out",), call_like=True,
    routes="expm1 scales the gradient by eˣ, its output plus one.",
))
register(Op(
    name="log_sigmoid", arity=1,
    forward=lambda a: -np.logaddexp(0, -a),
    vjp=(lambda g, out, a: g / (1 + np.exp(a)),),
    shape=same_shape, latex="\\log \\sigma({0})",
    local=("\\sigma(-{0})",), contrib=("{g} \\odot \\sigma(-{0})",),
    code="-np.logaddexp(0, -{0})", code_vjp=("{g} / (1 + np.exp({0}))",),
    jvp=(lambda t, out, a: t / (1 + np.exp(a)),), tangent=("\\sigma(-{0}) \\odot {t}",),
    code_jvp=("{t} / (1 + np.exp({0}))",),
    saves=("0",), call_like=True,
    routes="log_sigmoid scales the gradient by σ(−x): large for negative x, near 0 for "
           "positive x.",
))
register(Op(
    name="leaky_relu", arity=1,
    forward=lambda a, slope=0.01: np.where(a > 0, a, slope * a),
    vjp=(lambda g, out, a, slope=0.01: g * np.where(a > 0, 1.0, slope),),
    shape=same_shape, latex="\\operatorname{{leaky\\_relu}}_{{{slope}}}({0})",
    local=("\\mathbb{{1}}[{0} > 0] + {slope}\\,\\mathbb{{1}}[{0} \\le 0]",),
    contrib=("{g} \\odot (\\mathbb{{1}}[{0} > 0] + {slope}\\,\\mathbb{{1}}[{0} \\le 0])",),
    code="np.where({0} > 0, {0}, {slope} * {0})",
    code_vjp=("{g} * np.where({0} > 0, 1.0, {slope})",),
    jvp=(lambda t, out, a, slope=0.01: t * np.where(a > 0, 1.0, slope),),
    tangent=("(\\mathbb{{1}}[{0} > 0] + {slope}\\,\\mathbb{{1}}[{0} \\le 0]) \\odot {t}",),
    code_jvp=("{t} * np.where({0} > 0, 1.0, {slope})",),
    saves=("0",), call_like=True, attrs={"slope": 0.01},
    fmt=lambda slope=0.01: {"slope": _num(slope)},
    routes="leaky_relu passes the gradient where x > 0 and scales it by the slope "
           "elsewhere (at 0 too, as PyTorch).",
))
register(Op(
    name="elu", arity=1,
    forward=lambda a, alpha=1.0: np.where(a > 0, a, alpha * np.expm1(a)),
    vjp=(lambda g, out, a, alpha=1.0: g * np.where(a > 0, 1.0, out + alpha),),
    shape=same_shape, latex="\\operatorname{{elu}}_{{{alpha}}}({0})",
    local=("\\mathbb{{1}}[{0} > 0] + ({out} + {alpha})\\,\\mathbb{{1}}[{0} \\le 0]",),
    contrib=("{g} \\odot (\\mathbb{{1}}[{0} > 0] + ({out} + {alpha})\\,\\mathbb{{1}}[{0} "
             "\\le 0])",),
    code="np.where({0} > 0, {0}, {alpha} * np.expm1({0}))",
    code_vjp=("{g} * np.where({0} > 0, 1.0, {out} + {alpha})",),
    jvp=(lambda t, out, a, alpha=1.0: t * np.where(a > 0, 1.0, out + alpha),),
    tangent=("(\\mathbb{{1}}[{0} > 0] + ({out} + {alpha})\\,\\mathbb{{1}}[{0} \\le 0]) "
             "\\odot {t}",),
    code_jvp=("{t} * np.where({0} > 0, 1.0, {out} + {alpha})",),
    saves=("out", "0"), call_like=True, attrs={"alpha": 1.0},
    fmt=lambda alpha=1.0: {"alpha": _num(alpha)},
    routes="elu passes the gradient where x > 0 and scales it by the output plus α "
           "elsewhere.",
))
register(Op(
    name="gelu", arity=1, forward=_gelu,
    vjp=(lambda g, out, a: g * _gelu_d(a),),
    shape=same_shape, latex="\\operatorname{{gelu}}({0})",
    local=("\\Phi({0}) + {0}\\,\\varphi({0})",),
    contrib=("{g} \\odot (\\Phi({0}) + {0}\\,\\varphi({0}))",),
    code="gelu({0})", code_vjp=("{g} * gelu_grad({0})",),
    jvp=(lambda t, out, a: t * _gelu_d(a),),
    tangent=("(\\Phi({0}) + {0}\\,\\varphi({0})) \\odot {t}",),
    code_jvp=("{t} * gelu_grad({0})",),
    saves=("0",), call_like=True, helpers=("gelu",),
    routes="gelu (exact, x·Φ(x)) scales the gradient by Φ(x) + x·φ(x).",
))
register(Op(
    name="clip", arity=1,
    forward=lambda a, min=-1.0, max=1.0: np.clip(a, min, max),
    vjp=(lambda g, out, a, min=-1.0, max=1.0: np.where((a >= min) & (a <= max), g, 0.0),),
    shape=same_shape, latex="\\operatorname{{clip}}_{{[{min}, {max}]}}({0})",
    local=("\\mathbb{{1}}[{min} \\le {0} \\le {max}]",),
    contrib=("{g} \\odot \\mathbb{{1}}[{min} \\le {0} \\le {max}]",),
    code="np.clip({0}, {min}, {max})",
    code_vjp=("np.where(({0} >= {min}) & ({0} <= {max}), {g}, 0.0)",),
    jvp=(lambda t, out, a, min=-1.0, max=1.0: np.where((a >= min) & (a <= max), t, 0.0),),
    tangent=("\\mathbb{{1}}[{min} \\le {0} \\le {max}] \\odot {t}",),
    code_jvp=("np.where(({0} >= {min}) & ({0} <= {max}), {t}, 0.0)",),
    saves=("0",), call_like=True, attrs={"min": -1.0, "max": 1.0},
    positional_attrs=("min", "max"),
    fmt=lambda min=-1.0, max=1.0: {"min": _num(min), "max": _num(max)},
    routes="clip passes the gradient where x is inside [min, max] (its ends included, as "
           "PyTorch) and blocks it outside.",
))

# ----- Shapes: numpy's matmul, indexing and slicing, reshape -----

register(Op(
    name="matmul_nd", arity=2, syntax="@ (vectors, batches)",
    forward=np.matmul,
    vjp=(lambda g, out, a, b: _matmul_grad(g, a, b, 0),
         lambda g, out, a, b: _matmul_grad(g, a, b, 1)),
    shape=matmul_nd_shape, latex="{0}\\,{1}",
    local=("{1}^{{\\top}}", "{0}^{{\\top}}"),
    contrib=("{g}\\,{1}^{{\\top}}", "{0}^{{\\top}}\\,{g}"),
    code="{0} @ {1}",
    code_vjp=("matmul_grad({g}, {0}, {1}, 0)", "matmul_grad({g}, {0}, {1}, 1)"),
    jvp=(lambda t, out, a, b: np.matmul(t, b), lambda t, out, a, b: np.matmul(a, t)),
    tangent=("{t}\\,{1}", "{0}\\,{t}"),
    code_jvp=("{t} @ {1}", "{0} @ {t}"),
    reads=(("1",), ("0",)), saves=("0", "1"), helpers=("matmul_grad",),
    flops=lambda out, a, b: 2 * prod(out) * a[-1],
    routes="matmul (vectors and batches, numpy's rules) multiplies the gradient by the other "
           "operand transposed, and sums it over broadcast batch axes.",
))
register(Op(
    name="index", arity=1, syntax="x[…]",
    forward=lambda a, key=":": a[index_key(key)],
    vjp=(lambda g, out, a, key=":": _scatter(g, np.shape(a), key),),
    shape=index_shape, latex="{0}_{{[{key}]}}",
    local=("\\mathbb{{1}}[\\text{{picked}}]",), contrib=("\\operatorname{{scatter}}({g})",),
    code="{0}[{key}]", code_vjp=("scatter({g}, {0}.shape, {keytext})",),
    jvp=(lambda t, out, a, key=":": t[index_key(key)],), tangent=("{t}_{{[{key}]}}",),
    code_jvp=("{t}[{key}]",),
    saves=(), attrs={"key": ":"}, helpers=("scatter",),
    fmt=lambda key=":": {"key": key, "keytext": repr(key)},
    routes="an indexing op scatters the gradient back: the picked elements receive it, every "
           "other element of the input gets 0.",
))
register(Op(
    name="reshape", arity=1,
    forward=lambda a, shape=(): np.reshape(a, shape),
    vjp=(lambda g, out, a, shape=(): np.reshape(g, np.shape(a)),),
    shape=reshape_shape, latex="\\operatorname{{reshape}}({0})",
    local=("\\operatorname{{reshape}}^{{-1}}",),
    contrib=("\\operatorname{{reshape}}^{{-1}}({g})",),
    code="np.reshape({0}, {shape})", code_vjp=("np.reshape({g}, {0}.shape)",),
    jvp=(lambda t, out, a, shape=(): np.reshape(t, shape),),
    tangent=("\\operatorname{{reshape}}({t})",), code_jvp=("np.reshape({t}, {shape})",),
    saves=(), attrs={"shape": ()}, call_like=True, positional="shape",
    fmt=lambda shape=(): {"shape": repr(tuple(shape))},
    routes="reshape passes the gradient back reshaped to the input's shape: the same numbers "
           "in the same order.",
))

# ----- Several inputs: concatenate and stack (one list argument, axis=) -----


def _parts_fmt(axis=0, n=2) -> dict:
    """Template values of a variadic op over n inputs: the argument list, the inputs' sizes
    along the axis, and per input i the list with zeros in place of every other input."""
    args = ", ".join(f"{{{i}}}" for i in range(n))
    out = {"args": args, "axis": str(axis),
           "sizes": ", ".join(f"{{{i}}}.shape[{axis}]" for i in range(n))}
    for i in range(n):
        out[f"with{i}"] = ", ".join("{t}" if j == i else f"np.zeros_like({{{j}}})"
                                    for j in range(n))
    return out


def _placed(join, t, i, xs, axis):
    """The output's tangent from input i's: t in its place, zeros for the others."""
    return join([t if j == i else np.zeros_like(x) for j, x in enumerate(xs)], axis=axis)


register(Op(
    name="concatenate", arity=VARIADIC,
    forward=lambda *xs, axis=0, n=2: np.concatenate(xs, axis=axis),
    vjp=PerInput(lambda i: lambda g, out, *xs, axis=0, n=2: np.split(
        g, np.cumsum([x.shape[axis] for x in xs])[:-1], axis=axis)[i]),
    shape=concat_shape, latex="\\operatorname{{concat}}({args})",
    local=PerInput(lambda i: "\\text{{its slice}}"),
    contrib=PerInput(lambda i: "{g}_{{(" + str(i + 1) + ")}}"),  # its slice of g
    code="np.concatenate([{args}], axis={axis})",
    code_vjp=PerInput(lambda i: "np.split({g}, np.cumsum([{sizes}])[:-1], axis={axis})"
                                f"[{i}]"),
    jvp=PerInput(lambda i: lambda t, out, *xs, axis=0, n=2: _placed(np.concatenate, t, i, xs,
                                                                       axis)),
    tangent=PerInput(lambda i: "\\operatorname{{concat}}(\\dots, {t}, \\dots)"),
    code_jvp=PerInput(lambda i: f"np.concatenate([{{with{i}}}], axis={{axis}})"),
    saves=(), attrs={"axis": 0, "n": 2}, fmt=_parts_fmt, call_like=True,
    routes="concatenate hands each input its own slice of the gradient.",
))
register(Op(
    name="stack", arity=VARIADIC,
    forward=lambda *xs, axis=0, n=2: np.stack(xs, axis=axis),
    vjp=PerInput(lambda i: lambda g, out, *xs, axis=0, n=2: np.take(g, i, axis=axis)),
    shape=stack_shape, latex="\\operatorname{{stack}}({args})",
    local=PerInput(lambda i: "\\text{{its slice}}"),
    contrib=PerInput(lambda i: f"{{g}}_{{{{[{i}]}}}}"),
    code="np.stack([{args}], axis={axis})",
    code_vjp=PerInput(lambda i: f"np.take({{g}}, {i}, axis={{axis}})"),
    jvp=PerInput(lambda i: lambda t, out, *xs, axis=0, n=2: _placed(np.stack, t, i, xs, axis)),
    tangent=PerInput(lambda i: "\\operatorname{{stack}}(\\dots, {t}, \\dots)"),
    code_jvp=PerInput(lambda i: f"np.stack([{{with{i}}}], axis={{axis}})"),
    saves=(), attrs={"axis": 0, "n": 2}, fmt=_parts_fmt, call_like=True,
    routes="stack hands each input its own slice of the gradient along the new axis.",
))

# ----- Cross-entropy with integer class labels -----


def _ce_grad(logits, labels):
    """∂ mean cross-entropy / ∂ logits: (softmax(logits) − onehot(labels)) / N."""
    p = _softmax(logits, axis=1)
    p[np.arange(len(labels)), labels.astype(np.intp)] -= 1.0
    return p / len(labels)


def _cross_entropy_shape(logits, labels, **_):
    if len(logits) != 2 or labels != logits[:1]:
        raise ShapeError(f"cross_entropy takes logits (N, C) and labels (N,) from "
                         f"labels(N, C), got {logits} and {labels}")
    return ()


register(Op(
    name="cross_entropy", arity=2,
    forward=lambda a, b: np.mean(_logsumexp(a, axis=1) - a[np.arange(len(b)), b.astype(np.intp)]),
    vjp=(lambda g, out, a, b: g * _ce_grad(a, b), lambda g, out, a, b: np.zeros_like(b)),
    shape=_cross_entropy_shape,
    latex="\\operatorname{{CE}}({0}, {1})",
    local=("\\frac{{1}}{{N}}(\\operatorname{{softmax}}({0}) - \\mathbb{{1}}_{{{1}}})",
           "0"),
    contrib=("{g}\\,\\frac{{1}}{{N}}(\\operatorname{{softmax}}({0}) - \\mathbb{{1}}_{{{1}}})",
             "0 \\cdot {g}"),
    code="cross_entropy({0}, {1})",
    code_vjp=("{g} * cross_entropy_grad({0}, {1})", "np.zeros_like({1}) * {g}"),
    jvp=(lambda t, out, a, b: np.sum(t * _ce_grad(a, b)), lambda t, out, a, b: 0.0 * np.sum(t)),
    tangent=("\\textstyle\\sum \\frac{{1}}{{N}}(\\operatorname{{softmax}}({0}) - "
             "\\mathbb{{1}}_{{{1}}}) \\odot {t}", "0 \\cdot {t}"),
    code_jvp=("np.sum({t} * cross_entropy_grad({0}, {1}))", "0.0 * np.sum({t})"),
    reads=(("0", "1"), ()), saves=("0", "1"), call_like=True,
    helpers=("logsumexp", "softmax", "cross_entropy"),
    routes="cross_entropy sends the logits the gradient times (softmax − one-hot of the "
           "label) / N: up for every wrong class, down for the right one; labels get none.",
))

# ----- Binary elementwise functions -----

for _name, _np_fn, _cmp, _sign, _word in (("maximum", np.maximum, np.greater, ">", "larger"),
                                          ("minimum", np.minimum, np.less, "<", "smaller")):
    _first = f"\\mathbb{{{{1}}}}[{{0}} {_sign} {{1}}]"  # 1[a > b] (1/2 on a tie)
    _second = f"\\mathbb{{{{1}}}}[{{1}} {_sign} {{0}}]"
    _code = f"np.{_cmp.__name__}"
    register(Op(
        name=_name, arity=2, forward=_np_fn,
        # ties split the gradient evenly between the inputs, as torch.maximum/minimum; the
        # other input gets 0, selected (a NaN upstream is not sent where it is blocked)
        vjp=(lambda g, out, a, b, _c=_cmp: np.where(_c(a, b), g, np.where(a == b, 0.5 * g, 0.0)),
             lambda g, out, a, b, _c=_cmp: np.where(_c(b, a), g, np.where(a == b, 0.5 * g, 0.0))),
        shape=broadcast_shape, latex=f"\\{_name[:3]}({{0}}, {{1}})",
        local=(_first, _second),
        contrib=("{g} \\odot " + _first, "{g} \\odot " + _second),
        code=f"np.{_name}({{0}}, {{1}})",
        code_vjp=(f"np.where({_code}({{0}}, {{1}}), {{g}}, np.where({{0}} == {{1}}, 0.5 * {{g}}, 0.0))",
                  f"np.where({_code}({{1}}, {{0}}), {{g}}, np.where({{0}} == {{1}}, 0.5 * {{g}}, 0.0))"),
        jvp=(lambda t, out, a, b, _c=_cmp: t * (_c(a, b) + 0.5 * (a == b)),
             lambda t, out, a, b, _c=_cmp: t * (_c(b, a) + 0.5 * (a == b))),
        tangent=(_first + " \\odot {t}", _second + " \\odot {t}"),
        code_jvp=(f"{{t}} * ({_code}({{0}}, {{1}}) + 0.5 * ({{0}} == {{1}}))",
                  f"{{t}} * ({_code}({{1}}, {{0}}) + 0.5 * ({{0}} == {{1}}))"),
        saves=("0", "1"), call_like=True, broadcasts=True,
        routes=f"{_name} routes the gradient to the {_word} input, elementwise (split evenly "
               f"on a tie, as PyTorch).",
    ))
register(Op(
    name="power", arity=2, names=("pow",),
    forward=lambda a, b: a ** b,
    # PyTorch's edges: an exponent of 0 sends the base 0 (not 0·0⁻¹), and a zero base with
    # an exponent ≥ 0 sends the exponent 0 (not 0·log 0)
    vjp=(lambda g, out, a, b: np.where(b == 0, 0.0, g * b * a ** (b - 1)),
         lambda g, out, a, b: g * _log_term(out, a, b)),
    shape=broadcast_shape, latex="{0}^{{{1}}}",
    local=("{1}\\,{0}^{{{1} - 1}}", "{out} \\log {0}"),
    contrib=("{g} \\odot {1}\\,{0}^{{{1} - 1}}", "{g} \\odot {out} \\log {0}"),
    code="{0} ** {1}",
    code_vjp=("np.where({1} == 0, 0.0, {g} * {1} * {0} ** ({1} - 1))",
              "{g} * power_log({out}, {0}, {1})"),
    jvp=(lambda t, out, a, b: np.where(b == 0, 0.0, t * b * a ** (b - 1)),
         lambda t, out, a, b: t * _log_term(out, a, b)),
    tangent=("{1}\\,{0}^{{{1} - 1}} \\odot {t}", "{out} \\log {0} \\odot {t}"),
    code_jvp=("np.where({1} == 0, 0.0, {t} * {1} * {0} ** ({1} - 1))",
              "{t} * power_log({out}, {0}, {1})"),
    reads=(("0", "1"), ("out", "0", "1")), saves=("out", "0", "1"), broadcasts=True,
    helpers=("power_log",),
    routes="a power aᵇ with a tensor exponent sends the gradient times b·aᵇ⁻¹ to the base "
           "and times aᵇ·log a to the exponent.",
))

def _log_term(out, a, b):
    """aᵇ·log a, and 0 where a = 0 and b ≥ 0 (PyTorch's), without evaluating log 0 there."""
    zero = (a == 0) & (b >= 0)
    return np.where(zero, 0.0, out * np.log(np.where(zero, 1.0, a)))


# ----- More reductions (axis=None or an axis, keepdims) -----

register(Op(
    name="prod", arity=1,
    forward=lambda a, axis=None, keepdims=False: np.prod(a, axis=axis, keepdims=keepdims),
    vjp=(lambda g, out, a, axis=None, keepdims=False:
         _expand(g, axis, keepdims) * _prod_others(a, axis),),
    shape=reduce_shape, latex="\\prod {0}",
    local=("\\textstyle\\prod_{{j \\ne i}} {0}_j",),
    contrib=("{g}\\,\\textstyle\\prod_{{j \\ne i}} {0}_j",),
    code="np.prod({0}{kw})", code_vjp=("{gx} * prod_others({0}{axis_kw})",),
    jvp=(lambda t, out, a, axis=None, keepdims=False:
         np.sum(t * _prod_others(a, axis), axis=axis, keepdims=keepdims),),
    tangent=("\\textstyle\\sum_i {t}_i \\prod_{{j \\ne i}} {0}_j",),
    code_jvp=("np.sum({t} * prod_others({0}{axis_kw}){kw})",),
    saves=("0",), call_like=True, attrs={"axis": None, "keepdims": False},
    fmt=_reduce_fmt_count, helpers=("prod_others",),
    routes="prod sends each element the gradient times the product of the other elements.",
))
register(Op(
    name="var", arity=1,
    forward=lambda a, axis=None, keepdims=False: np.var(a, axis=axis, keepdims=keepdims),
    vjp=(lambda g, out, a, axis=None, keepdims=False:
         _expand(g, axis, keepdims) * 2 * (a - np.mean(a, axis=axis, keepdims=True))
         / _count(a, axis),),
    shape=reduce_shape, latex="\\operatorname{{var}} {0}",
    local=("\\frac{{2}}{{n}}({0} - \\bar{{{0}}})",),
    contrib=("{g}\\,\\frac{{2}}{{n}}({0} - \\bar{{{0}}})",),
    code="np.var({0}{kw})",
    code_vjp=("{gx} * 2 * ({0} - np.mean({0}{kwk})) / {count}",),
    jvp=(lambda t, out, a, axis=None, keepdims=False:
         np.sum(t * 2 * (a - np.mean(a, axis=axis, keepdims=True)) / _count(a, axis),
                axis=axis, keepdims=keepdims),),
    tangent=("\\textstyle\\sum \\frac{{2}}{{n}}({0} - \\bar{{{0}}}) \\odot {t}",),
    code_jvp=("np.sum({t} * 2 * ({0} - np.mean({0}{kwk})) / {count}{kw})",),
    saves=("0",), call_like=True, attrs={"axis": None, "keepdims": False},
    fmt=_reduce_fmt_count,
    routes="var (numpy's, ddof 0) sends each element the gradient times 2/n times its "
           "distance from the mean.",
))
register(Op(
    name="std", arity=1,
    forward=lambda a, axis=None, keepdims=False: np.std(a, axis=axis, keepdims=keepdims),
    vjp=(lambda g, out, a, axis=None, keepdims=False:
         _over(_expand(g, axis, keepdims) * (a - np.mean(a, axis=axis, keepdims=True)),
               _count(a, axis) * _expand(out, axis, keepdims)),),
    shape=reduce_shape, latex="\\operatorname{{std}} {0}",
    local=("\\frac{{{0} - \\bar{{{0}}}}}{{n\\,{out}}}",),
    contrib=("{g}\\,\\frac{{{0} - \\bar{{{0}}}}}{{n\\,{out}}}",),
    code="np.std({0}{kw})",
    code_vjp=("over({gx} * ({0} - np.mean({0}{kwk})), {count} * {outx})",),
    jvp=(lambda t, out, a, axis=None, keepdims=False:
         np.sum(_over(t * (a - np.mean(a, axis=axis, keepdims=True)),
                      _count(a, axis) * _expand(out, axis, keepdims)), axis=axis,
                keepdims=keepdims),),
    tangent=("\\textstyle\\sum \\frac{{{0} - \\bar{{{0}}}}}{{n\\,{out}}} \\odot {t}",),
    code_jvp=("np.sum(over({t} * ({0} - np.mean({0}{kwk})), {count} * {outx}){kw})",),
    saves=("out", "0"), call_like=True, attrs={"axis": None, "keepdims": False},
    fmt=_reduce_fmt_count, helpers=("over",),
    routes="std (numpy's, ddof 0) sends each element the gradient times its distance from "
           "the mean over n·std (0 where the std is 0, as PyTorch).",
))
register(Op(
    name="norm", arity=1,
    forward=lambda a, axis=None, keepdims=False:
        np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims)),
    vjp=(lambda g, out, a, axis=None, keepdims=False:
         _over(_expand(g, axis, keepdims) * a, _expand(out, axis, keepdims)),),
    shape=reduce_shape, latex="\\lVert {0} \\rVert",
    local=("\\frac{{{0}}}{{{out}}}",), contrib=("{g}\\,\\frac{{{0}}}{{{out}}}",),
    code="np.sqrt(np.sum({0} * {0}{kw}))", code_vjp=("over({gx} * {0}, {outx})",),
    jvp=(lambda t, out, a, axis=None, keepdims=False:
         np.sum(_over(t * a, _expand(out, axis, keepdims)), axis=axis, keepdims=keepdims),),
    tangent=("\\textstyle\\sum \\frac{{{0}}}{{{out}}} \\odot {t}",),
    code_jvp=("np.sum(over({t} * {0}, {outx}){kw})",),
    saves=("out", "0"), call_like=True, attrs={"axis": None, "keepdims": False},
    fmt=_reduce_fmt_count, helpers=("over",),
    routes="norm (L2) sends each element the gradient times the element over the norm: "
           "along the direction of the vector (0 for a zero vector, as PyTorch).",
))
for _name, _np_fn, _word in (("max", np.max, "largest"), ("min", np.min, "smallest")):
    register(Op(
        name=_name, arity=1,
        forward=lambda a, axis=None, keepdims=False, _f=_np_fn: _f(a, axis=axis,
                                                                   keepdims=keepdims),
        vjp=(lambda g, out, a, axis=None, keepdims=False:
             _select(_expand(g, axis, keepdims), _winners(a, out, axis, keepdims)),),
        shape=reduce_shape, latex=f"\\{_name} {{0}}",
        local=(f"\\mathbb{{{{1}}}}[{{0}} = \\{_name}] / \\#",),
        contrib=(f"{{g}} \\odot \\mathbb{{{{1}}}}[{{0}} = \\{_name}] / \\#",),
        code=f"np.{_name}({{0}}{{kw}})",
        code_vjp=("select({gx}, winners({0}, {out}{wkw}))",),
        jvp=(lambda t, out, a, axis=None, keepdims=False:
             np.sum(_select(t, _winners(a, out, axis, keepdims)), axis=axis,
                    keepdims=keepdims),),
        tangent=(f"\\textstyle\\sum \\mathbb{{{{1}}}}[{{0}} = \\{_name}] / \\# "
                 f"\\odot {{t}}",),
        code_jvp=("np.sum(select({t}, winners({0}, {out}{wkw})){kw})",),
        saves=("out", "0"), call_like=True, attrs={"axis": None, "keepdims": False},
        fmt=lambda axis=None, keepdims=False: {
            **_reduce_fmt_count(axis, keepdims),
            "wkw": (f", {axis}" if axis is not None else ", None")
                   + (", True" if keepdims else ", False")},
        helpers=("winners", "select"),
        routes=f"{_name} routes the gradient to the {_word} element (split evenly among ties, "
               f"as torch.a{_name}); the others get 0.",
    ))

#: numpy helpers the generated script defines when an op names them in `helpers`
SCRIPT_HELPERS = {
    "logsumexp": (
        "def logsumexp(a, axis=None, keepdims=False):\n"
        "    m = np.max(a, axis=axis, keepdims=True)\n"
        "    m = np.where(np.isinf(m), 0.0, m)\n"
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
SCRIPT_HELPERS["gelu"] = (
    "import math\n"
    "_erf = np.frompyfunc(math.erf, 1, 1)\n"
    "def gelu(a):\n"
    "    return a * 0.5 * (1 + np.asarray(_erf(a / math.sqrt(2.0)), dtype=np.float64))\n"
    "def gelu_grad(a):\n"
    "    return (0.5 * (1 + np.asarray(_erf(a / math.sqrt(2.0)), dtype=np.float64))\n"
    "            + a * np.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi))\n"
)
SCRIPT_HELPERS["prod_others"] = (
    "def _exclusive_prod(x):\n"
    "    ones = np.ones(x.shape[:-1] + (1,))\n"
    "    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)\n"
    "    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(x, -1)[..., :-1]], axis=-1),\n"
    "                               axis=-1), -1)\n"
    "    return left * right\n"
    "def prod_others(a, axis=None):\n"
    "    a = np.asarray(a, dtype=np.float64)\n"
    "    if a.ndim == 0:\n"
    "        return np.ones_like(a)\n"
    "    if axis is None:\n"
    "        return _exclusive_prod(a.reshape(-1)).reshape(a.shape)\n"
    "    axes = tuple(x % a.ndim for x in (axis if isinstance(axis, tuple) else (axis,)))\n"
    "    last = tuple(range(a.ndim - len(axes), a.ndim))\n"
    "    moved = np.moveaxis(a, axes, last)\n"
    "    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))\n"
    "    return np.moveaxis(_exclusive_prod(flat).reshape(moved.shape), last, axes)\n"
)
SCRIPT_HELPERS["winners"] = (
    "def winners(a, out, axis, keepdims):\n"
    "    kept = out if axis is None or keepdims else np.expand_dims(out, axis)\n"
    "    hit = (a == kept).astype(np.float64)\n"
    "    return hit / np.sum(hit, axis=axis, keepdims=True)\n"
)
SCRIPT_HELPERS["select"] = (
    "def select(g, weights):\n"
    "    return np.where(weights != 0, g * weights, 0.0)\n"
)
SCRIPT_HELPERS["over"] = (
    "def over(num, den):\n"
    "    return np.where(den == 0, 0.0, num / np.where(den == 0, 1.0, den))\n"
)
SCRIPT_HELPERS["power_log"] = (
    "def power_log(out, a, b):\n"
    "    zero = (a == 0) & (b >= 0)\n"
    "    return np.where(zero, 0.0, out * np.log(np.where(zero, 1.0, a)))\n"
)
SCRIPT_HELPERS["scatter"] = (
    "def scatter(g, shape, key):\n"
    "    index = tuple(slice(*(int(x) if x.strip() else None for x in part.split(':')))\n"
    "                  if ':' in part else int(part) for part in key.split(','))\n"
    "    out = np.zeros(shape)\n"
    "    out[index] = g\n"
    "    return out\n"
)
SCRIPT_HELPERS["matmul_grad"] = (
    "def sum_to(d, shape):\n"
    "    if d.shape == shape:\n"
    "        return d\n"
    "    lead = d.ndim - len(shape)\n"
    "    kept = tuple(i + lead for i, n in enumerate(shape) if n == 1 and d.shape[i + lead] != 1)\n"
    "    if kept:\n"
    "        d = d.sum(axis=kept, keepdims=True)\n"
    "    if lead:\n"
    "        d = d.sum(axis=tuple(range(lead)))\n"
    "    return d.reshape(shape)\n"
    "def matmul_grad(g, a, b, index):\n"
    "    if a.ndim == 1 and b.ndim == 1:\n"
    "        return g * (b if index == 0 else a)\n"
    "    a2 = a[None, :] if a.ndim == 1 else a\n"
    "    b2 = b[:, None] if b.ndim == 1 else b\n"
    "    g2 = np.asarray(g, dtype=np.float64)\n"
    "    if a.ndim == 1:\n"
    "        g2 = np.expand_dims(g2, -2)\n"
    "    if b.ndim == 1:\n"
    "        g2 = np.expand_dims(g2, -1)\n"
    "    if index == 0:\n"
    "        d = g2 @ np.swapaxes(b2, -1, -2)\n"
    "        return sum_to(d[..., 0, :] if a.ndim == 1 else d, a.shape)\n"
    "    d = np.swapaxes(a2, -1, -2) @ g2\n"
    "    return sum_to(d[..., 0] if b.ndim == 1 else d, b.shape)\n"
)
SCRIPT_HELPERS["cross_entropy"] = (
    "def cross_entropy(a, labels):\n"
    "    return np.mean(logsumexp(a, axis=1) - a[np.arange(len(labels)), labels.astype(np.intp)])\n"
    "def cross_entropy_grad(a, labels):\n"
    "    p = softmax(a, axis=1)\n"
    "    p[np.arange(len(labels)), labels.astype(np.intp)] -= 1.0\n"
    "    return p / len(labels)\n"
)
