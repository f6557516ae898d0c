"""app.engine.instruments.evaluate: a SymPy expression at numbers, each shared part once."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from app.engine.core.errors import InvalidRequestError
from app.engine.instruments import evaluate as module
from app.engine.instruments.evaluate import evaluate

x, y = sympy.symbols("x y")


@pytest.mark.parametrize("expr, values, expected", [
    (x + 2 * y, {x: 1.5, y: -2}, -2.5),
    (sympy.tanh(x) * sympy.exp(y), {x: 0.3, y: 0.7}, math.tanh(0.3) * math.exp(0.7)),
    (x ** y, {x: 2.0, y: -0.5}, 2.0 ** -0.5),
    (sympy.Abs(x) + sympy.sign(x), {x: -3.0}, 2.0),
    (sympy.erf(x), {x: 0.4}, math.erf(0.4)),
    (sympy.Max(x, y, 0) - sympy.Min(x, y), {x: -1.0, y: 2.0}, 3.0),
    (sympy.Heaviside(x), {x: 0.0}, 0.5),
    (sympy.Heaviside(x, 0), {x: 0.0}, 0.0),
    (sympy.Piecewise((x, x > 0), (-2 * x, True)), {x: -1.5}, 3.0),
    (sympy.Piecewise((x, sympy.And(x > 0, y <= 1)), (y, True)), {x: 1.0, y: 2.0}, 2.0),
    (sympy.Rational(1, 3) + sympy.pi * x, {x: 1.0}, 1 / 3 + math.pi),
])
def test_values(expr, values, expected):
    assert evaluate(expr, values) == pytest.approx(expected, rel=1e-15)


def test_nan_and_inf_come_as_numpy_makes_them_without_a_warning():
    with np.errstate(all="raise"):  # evaluate's own errstate must silence them
        assert math.isnan(evaluate(sympy.log(x), {x: -1.0}))
        assert evaluate(1 / x, {x: 0.0}) == math.inf


def test_each_shared_subexpression_is_computed_once(monkeypatch):
    """A chain e = tanh(e) + e doubles the tree at each link (a walk of the tree computes 65,535
    tanh), its graph has one tanh a link. (Built unevaluated: SymPy's own simplification walks
    the tree.)"""
    e = x
    for _ in range(16):
        e = sympy.Add(sympy.tanh(e, evaluate=False), e, evaluate=False)
    calls = []
    tanh = module.NUMPY[sympy.tanh]
    monkeypatch.setitem(module.NUMPY, sympy.tanh, lambda a: calls.append(a) or tanh(a))
    value = evaluate(e, {x: 0.1})
    assert len(calls) == 16
    reference = 0.1
    for _ in range(16):
        reference = math.tanh(reference) + reference
    assert value == pytest.approx(reference, rel=1e-14)


def test_a_function_it_does_not_know_is_named():
    with pytest.raises(InvalidRequestError, match="gamma"):
        evaluate(sympy.gamma(x), {x: 2.0})
