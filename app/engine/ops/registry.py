"""The op record, the table of every op by name, and the walkers' entry points into it.

An `Op` holds everything about an op next to each other, as named fields (DESIGN.md): forward,
VJP and JVP per input, shape rule, LaTeX and numpy code. The table's entries are made by
derivation.py; an op the source defines (custom.py) fills the same fields by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

import numpy as np

from app.engine.core.shapes import Shape, reduce_to


class MissingRuleError(NotImplementedError):
    """An op without a rule: a loud error, never a silent zero."""


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    forward: Callable[..., np.ndarray]
    #: per input (as autograd's defvjp: a gradient nobody needs is never computed), vjp(g, out,
    #: *inputs, **attrs) -> its contribution (apply_vjp reduces it to the input's shape)
    vjp: tuple[Callable[..., np.ndarray], ...]
    #: shape(*input_shapes, **attrs) -> output shape, or ShapeError
    shape: Callable[..., Shape]
    #: LaTeX of the op ({0} {1} the inputs, attributes by name); per input, of the local
    #: derivative d(out)/d(input) ({out} the output) and of the contribution ({g} upstream)
    latex: str
    local: tuple[str, ...]
    contrib: tuple[str, ...]
    #: numpy expression of the forward, and per input of the contribution
    code: str
    code_vjp: tuple[str, ...]
    #: per input, jvp(t, out, *inputs, **attrs) -> what its tangent t adds to the output's
    #: (forward mode: ẏ = Σ ∂y/∂xᵢ · ẋᵢ; apply_jvp sums and broadcasts)
    jvp: tuple[Callable[..., np.ndarray], ...]
    #: per input, LaTeX and numpy expression of that term; {t} is the input's tangent
    tangent: tuple[str, ...]
    code_jvp: tuple[str, ...]
    #: what the VJP reads: "out" and/or input positions "0", "1" (ordered: never the hash seed's)
    saves: tuple[str, ...]
    #: per input, which of `saves` its VJP reads (None: all). A VJP not needed (a constant's, or
    #: data's with `input_grads` false) keeps nothing: `y * log(p)` keeps log(p) only for ∂/∂y
    reads: tuple[tuple[str, ...], ...] | None = None
    #: keyword attributes the op takes, with defaults; extra template values made from them
    attrs: dict = field(default_factory=dict)
    fmt: Callable[..., dict] = lambda **attrs: {}
    #: binary elementwise, numpy broadcasting: a contribution has the output's shape and is
    #: summed back to the input's (every other VJP gives the input's shape itself)
    broadcasts: bool = False
    #: FLOPs of one forward, flops(out_shape, *input_shapes); by default one per element of the
    #: largest of the output and the inputs
    flops: Callable[..., int] = lambda out, *inputs: max(prod(out), *map(prod, inputs))
    #: the budget's element operations, numpy calls included: work(out_shape, *input_shapes)
    #: -> budget.Work (forward, one VJP, one JVP); None: the FLOPs plus one call each
    work: Callable[..., object] | None = None
    #: how the language writes it: "call" (`relu(x)`, keyword attributes as in `attrs`), a
    #: binary operator ("+", "@", "**", …), "unary -" or ".T"; more names it takes (`dot`)
    syntax: str = "call"
    names: tuple[str, ...] = ()
    #: written like a function call in LaTeX (f(x), \\sqrt{x}, |x|): no parentheses around it
    call_like: bool = False
    #: the helpers (SCRIPT_HELPERS) the script defines to run it; an op the source defines:
    #: the Python functions the script defines for it
    helpers: tuple[str, ...] = ()
    script: str = ""
    #: the attribute the call's extra positional argument gives (`reshape(x, (2, 3))`), and
    #: where it stands if not last (1: `layer_norm(x, (d,), w, b)`); or one attribute each
    #: (`clip(x, lo, hi)`)
    positional: str = ""
    positional_at: int | None = None
    positional_attrs: tuple[str, ...] = ()
    #: the last inputs a call may leave out (None, or named: weight=w), as (name, the number it
    #: then is): a normalisation's weight 1 and bias 0; `drawn`: the last input is a mask the
    #: call declares, drawn from the run's seed (masks.py)
    optional: tuple[tuple[str, float], ...] = ()
    drawn: bool = False
    #: one sentence: how the op routes the gradient back (the chain-rule card's "gate pattern")
    routes: str = ""


#: every op by name: the language, the notation, the code generator and the walkers read it
REGISTRY: dict[str, Op] = {}


class PerInput:
    """The rules of a variadic op (arity VARIADIC): per_input[i] is make(i), for any i."""

    def __init__(self, make: Callable[[int], object]):
        self.make = make

    def __getitem__(self, index: int):
        return self.make(index)


#: the arity of an op that takes any number (two or more) of inputs: concatenate, stack
VARIADIC = -1


def register(op: Op) -> None:
    rules = (op.vjp, op.local, op.contrib, op.code_vjp, op.jvp, op.tangent, op.code_jvp)
    assert all(isinstance(rule, PerInput) if op.arity == VARIADIC else len(rule) == op.arity
               for rule in rules), f"{op.name}: a rule per input"
    if op.reads is not None:
        assert len(op.reads) == op.arity, f"{op.name}: reads per input"
        assert all(ref in op.saves for refs in op.reads for ref in refs), f"{op.name}: reads ⊆ saves"
    REGISTRY[op.name] = op


def get_op(name: str) -> Op:
    try:
        return REGISTRY[name]
    except KeyError:
        raise MissingRuleError(f"VJP of {name!r} not defined; known ops: {sorted(REGISTRY)}") from None


def apply_vjp(op: Op, g, out, inputs: list, attrs: dict, index: int) -> np.ndarray:
    """The contribution of `g` to the gradient of input `index`, reduced to its shape."""
    return reduce_to(op.vjp[index](g, out, *inputs, **attrs), np.shape(inputs[index]))


def apply_jvp(op: Op, tangents: list, out, inputs: list, attrs: dict):
    """The output's tangent from the inputs' tangents (None: known to be zero): the sum over
    inputs of J_i · ṫ_i, in the output's shape; None when every input's tangent is zero."""
    terms = [op.jvp[i](t, out, *inputs, **attrs) for i, t in enumerate(tangents) if t is not None]
    if not terms:
        return None
    total = sum(terms[1:], terms[0])
    return total if np.shape(total) == np.shape(out) else np.broadcast_to(total, np.shape(out)).copy()


def op_flops(op: Op, out_shape, *input_shapes) -> int:
    """FLOPs of one evaluation of `op`, counted from the shapes (not measured)."""
    return int(op.flops(tuple(out_shape), *map(tuple, input_shapes)))


def render(template: str, fmt: dict, inputs: list[str], **names: str) -> str:
    """Fill a LaTeX or code template: attribute values first, then input and other names."""
    for key, value in fmt.items():
        template = template.replace("{" + key + "}", value)
    return template.format(*inputs, **names)


def num(v) -> str:
    """A number as the code and the LaTeX write it: 2, not 2.0."""
    return repr(int(v)) if float(v).is_integer() else repr(float(v))
