"""Each rule written once. `table_op`: the forward, VJPs and JVPs are the code templates,
parsed per set of attributes and walked into closures (never eval: a whitelist of node kinds),
so script and tape compute the same thing by construction; what the VJP saves is read from
them. `elementwise`: an op's VJP, JVP, LaTeX and code from its one local derivative, a (code,
LaTeX) pair per input.
"""

from __future__ import annotations

import ast
import operator
import re
from collections import ChainMap
from dataclasses import replace
from functools import lru_cache, partial
from itertools import accumulate

import numpy as np

from app.engine.core.shapes import broadcast_shape, same_shape
from app.engine.ops.helpers import FUNCTIONS
from app.engine.ops.registry import VARIADIC, Op, PerInput, num, register, render

_NAMES = ChainMap({"np": np}, FUNCTIONS)  # a live view: a helper module joins when imported
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul,
              ast.BitAnd: operator.and_, ast.USub: operator.neg, ast.Eq: operator.eq,
              ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


def _walked(node: ast.AST | None, params: tuple[str, ...]):
    """The expression as a function of the arguments (a tuple, as `params`), built from its
    parsed tree (no string is run): numpy, the helpers, the parameters, literals, operators,
    calls, indexing and an array's T/shape/size, nothing else (an index key is user text)."""
    walk = partial(_walked, params=params)
    match node:
        case None | ast.Constant(value=int() | float() | str() | None):
            value = node and node.value
        case ast.Name(id=name) if name in _NAMES:
            value = _NAMES[name]
        case ast.Attribute(value=ast.Name(id="np"), attr=attr) if hasattr(np, attr) and attr[0] != "_":
            value = getattr(np, attr)
        case ast.Name(id=name) if name in params:
            i = params.index(name)
            return lambda args: args[i]
        case ast.Attribute(value=of, attr="T" | "shape" | "size" as attr):
            of = walk(of)
            return lambda args: getattr(of(args), attr)
        case (ast.BinOp(left=a, op=op, right=b) | ast.Compare(left=a, ops=[op], comparators=[b])
              ) if type(op) in _OPERATORS:
            f, a, b = _OPERATORS[type(op)], walk(a), walk(b)
            return lambda args: f(a(args), b(args))
        case ast.UnaryOp(op=op, operand=a) if type(op) in _OPERATORS:
            f, a = _OPERATORS[type(op)], walk(a)
            return lambda args: f(a(args))
        case ast.Call(func=f, args=pos, keywords=kw) if all(k.arg for k in kw):
            # the callee is numpy's or a helper, never an argument: looked up once, not per call
            f, pos, kw = walk(f)(()), [walk(a) for a in pos], {k.arg: walk(k.value) for k in kw}
            return lambda args: f(*[a(args) for a in pos], **{k: v(args) for k, v in kw.items()})
        case ast.Subscript(value=of, slice=key):
            of, key = walk(of), walk(key)
            return lambda args: of(args)[key(args)]
        case ast.Slice(lower=lower, upper=upper, step=step):
            parts = [walk(p) for p in (lower, upper, step)]
            return lambda args: slice(*(p(args) for p in parts))
        case ast.Tuple(elts=items) | ast.List(elts=items):
            kind, items = tuple if isinstance(node, ast.Tuple) else list, [walk(x) for x in items]
            return lambda args: kind(x(args) for x in items)
        case _:
            raise ValueError(f"not a rule of the op table: {ast.unparse(node)!r}")
    return lambda args: value


@lru_cache(maxsize=4096)
def _rule(template: str, fmt, head: tuple[str, ...], n: int, attrs: tuple):
    inputs = [f"x{i}" for i in range(n)]
    expr = render(template, fmt(**dict(attrs)), inputs, g="g", t="t", out="out")
    return _walked(ast.parse(expr, mode="eval").body, (*head, *inputs))


def _numeric(template: str, fmt, head: tuple[str, ...] = ()):
    """A code template as a function: forward(*inputs, **attrs), or vjp(g, out, *inputs,
    **attrs) and jvp(t, out, *inputs, **attrs); walked once per inputs and attributes."""
    def walked(n: int, attrs: dict):  # the closure of one argument tuple (a loop binds it once)
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in attrs.items()))
        return _rule(template, fmt, head, n, key)
    rule = lambda *args, **attrs: walked(len(args) - len(head), attrs)(args)  # noqa: E731
    rule.walked = walked
    return rule


#: a template's reference to a tensor ({out}, {0}, …) that reads only its shape
_SHAPE_ONLY = re.compile(r"np\.(?:ones|zeros)_like\((\{\w+\})\)|(\{\w+\})\.(?:shape|size)")


def _reads(*templates: str) -> tuple[str, ...]:
    """What VJP templates read of the forward pass: "out" first, then inputs by position."""
    used = set(re.findall(r"\{(out|\d+)\}", _SHAPE_ONLY.sub("", " ".join(templates))))
    return tuple(sorted(used, key=lambda r: -1 if r == "out" else int(r)))


def table_op(name: str, code: str, code_vjp, code_jvp, shape, latex: str, local, contrib,
             tangent, **more) -> None:
    """Register an op whose numbers are its code templates."""
    variadic = isinstance(code_vjp, PerInput)
    each = range(2) if variadic else range(len(code_vjp))
    per = PerInput if variadic else (lambda make: tuple(make(i) for i in each))
    f = more.setdefault("fmt", lambda **attrs: {})
    more.setdefault("call_like", more.get("syntax", "call") == "call")  # a call: f(x) unless said
    op = Op(name=name, arity=VARIADIC if variadic else len(code_vjp), code=code,
            code_vjp=code_vjp, code_jvp=code_jvp, shape=shape, latex=latex, local=local,
            contrib=contrib, tangent=tangent, forward=_numeric(code, f), **{"saves": (), **more},
            vjp=per(lambda i: _numeric(code_vjp[i], f, ("g", "out"))),
            jvp=per(lambda i: _numeric(code_jvp[i], f, ("t", "out"))))
    if "saves" not in more:  # read from the templates, rendered with the default attributes
        fmt = f(**({**op.attrs, "n": 2} if variadic else op.attrs))
        vjps = [render(code_vjp[i], fmt, [f"{{{j}}}" for j in each], g="{g}", out="{out}")
                for i in each]
        reads, saves = [_reads(vjp) for vjp in vjps], _reads(*vjps)
        same = variadic or all(r == saves for r in reads)
        op = replace(op, saves=saves, reads=None if same else tuple(reads))
    register(op)


def _top_level_sum(text: str) -> bool:
    """Whether `text` adds or subtracts outside every bracket (so a product needs parentheses)."""
    depths = accumulate((c in "([{") - (c in ")]}") for c in text)
    return any(depth == 0 and text[i:i + 3] in (" + ", " - ") for i, depth in enumerate(depths))


def _times(var: str, d: str, index: int) -> str:
    """numpy code of var · d: 1 and -1 vanish, 1/x divides, a leading minus leads, 0 zeros;
    a tangent times the other input ({0} of a product) stands where its own input stood."""
    if "{g}" in d:  # a gate: the contribution is given, selecting where it passes
        return d.replace("{g}", var)
    if var == "{t}" and d == "{0}" and index == 1:
        return f"{d} * {var}"
    if d in ("1", "-1"):
        return d[:-1] + var
    if d == "0":
        return f"np.zeros_like({{{index}}})"
    if d.startswith("1 / "):
        return f"{var} / {d[4:]}"
    if d.startswith("-") and not d[1].isdigit():
        return f"-{var} * {d[1:]}"
    return f"{var} * ({d})" if _top_level_sum(d) else f"{var} * {d}"


def _odot(var: str, tex: str, upstream: bool, index: int) -> str:
    """LaTeX of the upstream gradient ⊙ the local derivative (contribution), or of the local
    derivative ⊙ a tangent (tangent term; next to the other input of a product, in order)."""
    if tex in ("1", "-1"):
        return tex[:-1] + var
    if tex.startswith("\\frac{{1}}"):
        return "\\frac{{" + var + "}}" + tex[len("\\frac{{1}}"):]
    if tex.startswith("-") and not tex[1].isdigit():
        return f"-{var} \\odot {tex[1:]}"
    tex = f"({tex})" if _top_level_sum(tex) else tex
    first = upstream or (tex, index) == ("{1}", 0)
    return f"{var} \\odot {tex}" if first else f"{tex} \\odot {var}"


def derived(pairs) -> dict:
    """The templates of an elementwise op from its (code, LaTeX) derivative per input."""
    return {
        "local": tuple(tex for _, tex in pairs),
        "contrib": tuple(_odot("{g}", tex, True, i) for i, (_, tex) in enumerate(pairs)),
        "tangent": tuple(_odot("{t}", tex, False, i) for i, (_, tex) in enumerate(pairs)),
        "code_vjp": tuple(_times("{g}", d, i) for i, (d, _) in enumerate(pairs)),
        "code_jvp": tuple(_times("{t}", d, i) for i, (d, _) in enumerate(pairs)),
    }


def elementwise(name: str, code: str, latex: str, *pairs, routes: str, **more) -> None:
    """Register an elementwise op from its forward code and, per input, ∂out/∂input as
    (numpy code, LaTeX); float attributes are written as numbers (2, 0.01)."""
    binary = len(pairs) == 2
    more.setdefault("fmt", lambda **attrs: {k: num(v) for k, v in attrs.items()})
    table_op(name, code, shape=broadcast_shape if binary else same_shape, latex=latex,
             routes=routes, broadcasts=binary, **{**derived(pairs), **more})
