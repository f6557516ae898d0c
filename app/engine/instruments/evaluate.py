"""A SymPy expression evaluated at numbers, in float64, each shared subexpression once.

SymPy's own `lambdify` prints the expression as code first (a huge tree prints huge, and its
numpy printer rewrites Max and Heaviside into nested selects); here the expression is walked
as the graph it is, bottom up, every distinct subexpression computed once — what the tape does
by construction. The table maps SymPy's classes to numpy: evaluation only, no derivative.
"""

from __future__ import annotations

import math

import numpy as np
import sympy
from sympy.logic.boolalg import BooleanFalse, BooleanTrue

from app.engine.core.errors import InvalidRequestError

_erf = np.frompyfunc(math.erf, 1, 1)


def _piecewise(*pairs):
    for value, condition in pairs:
        if condition:
            return value
    return np.nan


def _heaviside(x, at_zero=0.5):
    return np.heaviside(x, at_zero)


#: SymPy class -> what it computes, from its arguments' values
NUMPY = {
    sympy.Add: lambda *a: sum(a[1:], a[0]),
    sympy.Mul: lambda *a: np.prod(a),
    sympy.Pow: np.power,
    sympy.tanh: np.tanh, sympy.exp: np.exp, sympy.log: np.log, sympy.sin: np.sin,
    sympy.cos: np.cos, sympy.sign: np.sign, sympy.Abs: np.abs,
    sympy.erf: lambda x: np.float64(_erf(x)),
    sympy.Heaviside: _heaviside,
    sympy.Max: lambda *a: np.max(a), sympy.Min: lambda *a: np.min(a),
    sympy.Piecewise: _piecewise,
    sympy.functions.elementary.piecewise.ExprCondPair: lambda value, condition:
        (value, condition),
    sympy.StrictGreaterThan: np.greater, sympy.GreaterThan: np.greater_equal,
    sympy.StrictLessThan: np.less, sympy.LessThan: np.less_equal,
    sympy.Eq: np.equal, sympy.Ne: np.not_equal,
    sympy.And: lambda *a: all(a), sympy.Or: lambda *a: any(a), sympy.Not: np.logical_not,
    sympy.Xor: lambda *a: sum(map(bool, a)) % 2 == 1,
    sympy.ITE: lambda condition, then, otherwise: then if condition else otherwise,
}


def evaluate(expr, values: dict) -> float:
    """`expr` at `values` (symbol -> number), float64, NaN and Inf as numpy makes them."""
    found: dict = {}
    stack = [expr]
    with np.errstate(all="ignore"):
        while stack:
            e = stack[-1]
            if e in found:
                stack.pop()
                continue
            if e.is_Symbol:
                found[e] = np.float64(values[e])
            elif e.is_Number or isinstance(e, sympy.NumberSymbol):  # 2, 1/3, π, e
                found[e] = np.float64(float(e))
            elif isinstance(e, (BooleanTrue, BooleanFalse)):
                found[e] = bool(e)
            else:
                pending = [a for a in e.args if a not in found]
                if pending:
                    stack.extend(pending)
                    continue
                rule = NUMPY.get(e.func)
                if rule is None:
                    raise InvalidRequestError(f"SymPy wrote {e.func.__name__}, which the "
                                              "evaluator (app/engine/instruments/evaluate.py) does not know")
                found[e] = rule(*(found[a] for a in e.args))
            stack.pop()
    return float(found[expr])
